package org.postcopysim.dest.fetch;

/** Sends one page request to the source; implemented by the network client. Must not block. */
@FunctionalInterface
public interface PageRequestSender {
    /** Requests {@code gfn}; {@code urgent} when a vCPU is blocked on it. */
    void request(long requestId, long gfn, boolean urgent);
}
