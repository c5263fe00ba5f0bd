package org.postcopysim.guest;

/**
 * Where a guest write is recorded once it is in memory: the destination's {@link GuestWriteLog}
 * (how many writes each page received, so that verification can undo them), or the source's
 * {@link DirtyLog} (which pages changed since they were last sent). Called by the writing vCPU
 * after the write; allocation-free.
 */
public interface PageWrites {
    /** Page {@code pageIndex} (dense) was just written. */
    void recordWrite(long pageIndex);
}
