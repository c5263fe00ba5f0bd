/**
 * The userfaultfd model of the destination (kernel-background.md §2): a
 * {@link org.postcopysim.dest.uffd.Userfaultfd} registered in MISSING mode over a range of dense
 * page indexes, with the kernel's two wait queues ({@code fault_pending_wqh}, {@code fault_wqh}),
 * read(), UFFDIO_COPY (EEXIST, DONTWAKE) and UFFDIO_WAKE, whose walk visits every sleeper; and
 * {@link org.postcopysim.dest.uffd.UffdSet}, the shared or per-vCPU split of memory into uffds.
 *
 * <p>How it meets the KVM model: a vCPU access to a page the
 * {@link org.postcopysim.dest.kvm.HostPageTable} has not mapped returns
 * {@link org.postcopysim.dest.kvm.AccessResult#HOST_FAULT}; the runner, under its lock, calls
 * {@link org.postcopysim.dest.uffd.Userfaultfd#handleUserfault} and parks the thread; a reader
 * {@link org.postcopysim.dest.uffd.Userfaultfd#read}s the fault, fetches the page, writes it into
 * guest memory and calls {@link org.postcopysim.dest.uffd.Userfaultfd#copy}, which maps the host
 * page and wakes the waiters through the runner's {@link org.postcopysim.dest.uffd.WakeSink}; the
 * vCPU retries the access, which now maps in stage-2.
 *
 * <p>Plain data and methods like {@code dest.kvm}: no clock, no sleeping, no threads, no locks.
 * Waiters are ints and queues are primitive arrays, so faults, reads and wakes allocate nothing;
 * every cost a virtual-time simulator charges (queue lengths, waiters visited per wake) is
 * counted.
 */
package org.postcopysim.dest.uffd;
