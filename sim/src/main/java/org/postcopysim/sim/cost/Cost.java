package org.postcopysim.sim.cost;

/**
 * The named parameters of the simulator's cost model: each a cost the simulator charges for one
 * step of a path the model counted, with its unit, its default and where the default comes from.
 * {@code CALIBRATED} defaults stand for kernel paths of the table A machine (96 logical CPUs,
 * x86, TDP MMU) that no publication gives one by one: they are chosen so that the simulated fault
 * benchmark lands within 2x of every cell of the KVM Userfault series' published table (see
 * docs/simulation.md) and are in the range such paths cost on current x86 servers. {@code MEASURED}
 * defaults were measured on this project's development machine by {@code postcopy-sim simulate
 * --measure-costs}. {@code PUBLISHED} ones are quoted from the source named. {@code ASSUMED} ones
 * (the MMU lock and host-event costs) are plain guesses of the right order of magnitude.
 */
public enum Cost {
    // ---- vCPU and KVM
    GUEST_ACCESS_NS("guest-access", "ns", 20, Origin.CALIBRATED,
            "a guest access that hits a stage-2 mapping (the work between two faults of demand_paging_test)"),
    STAGE2_FAULT_NS("stage2-fault", "ns", 700, Origin.CALIBRATED,
            "an EPT violation KVM resolves itself: exit to KVM, map the present host page 4 KiB, re-enter"),
    VM_EXIT_TO_USER_NS("vm-exit-to-user", "ns", 2_000, Origin.CALIBRATED,
            "an EPT violation that KVM turns into KVM_EXIT_MEMORY_FAULT: exit, KVM_RUN returns to userspace"),
    EXIT_HANDLER_NS("exit-handler", "ns", 800, Origin.CALIBRATED,
            "userspace's handling of a memory-fault exit besides the copy (decode kvm_run, bitmap bookkeeping)"),
    VM_ENTRY_NS("vm-entry", "ns", 1_000, Origin.CALIBRATED,
            "KVM_RUN again after an exit: the ioctl and VM entry"),
    HOST_FAULT_NS("host-fault", "ns", 900, Origin.CALIBRATED,
            "an EPT violation on a page missing from the host page tables: KVM's get_user_pages into the host fault handler"),
    // ---- host memory
    PAGE_ALLOC_NS("page-alloc", "ns", 1_300, Origin.CALIBRATED,
            "allocating and zeroing a fresh anonymous page (first touch), outside the serialized section"),
    MM_LOCK_HOLD_NS("mm-lock-hold", "ns", 320, Origin.CALIBRATED,
            "the serialized part of a page allocation and mapping (the host mm's page-table, LRU and memcg locks): "
                    + "it caps first-touch faults at about 3 M/s for the whole host, as the 'none' column shows at 64 vCPUs"),
    COPY_4K_NS("copy-4k", "ns", 480, Origin.MEASURED,
            "copying one 4 KiB page between two off-heap buffers (the page's contents into guest memory)"),
    CRC32C_4K_NS("crc32c-4k", "ns", 700, Origin.MEASURED,
            "CRC32C of one 4 KiB page (the installer verifies every page it installs)"),
    // ---- userfaultfd
    UFFD_IOCTL_NS("uffd-ioctl", "ns", 400, Origin.CALIBRATED,
            "an ioctl on the uffd (UFFDIO_COPY, UFFDIO_WAKE): entry, exit and argument checks, besides the copy"),
    UFFD_ENQUEUE_HOLD_NS("uffd-enqueue-hold", "ns", 150, Origin.CALIBRATED,
            "handle_userfault() queueing the faulting thread on fault_pending_wqh, under the wait queue's lock"),
    UFFD_READ_SYSCALL_NS("uffd-read-syscall", "ns", 600, Origin.CALIBRATED,
            "a read() of the uffd, besides the time under the lock"),
    UFFD_READ_HOLD_NS("uffd-read-hold", "ns", 120, Origin.CALIBRATED,
            "a read() moving one waiter from fault_pending_wqh to fault_wqh, under the lock"),
    UFFD_WAKE_HOLD_NS("uffd-wake-hold", "ns", 120, Origin.CALIBRATED,
            "the fixed part of a wake walk (UFFDIO_COPY's wake, UFFDIO_WAKE), under the lock"),
    UFFD_WAKE_PER_WAITER_NS("uffd-wake-per-waiter", "ns", 20, Origin.CALIBRATED,
            "the wake walk's cost per sleeping waiter it visits (every sleeper is compared with the range)"),
    UFFD_POLL_SYSCALL_NS("uffd-poll-syscall", "ns", 500, Origin.CALIBRATED,
            "a reader's poll() on the uffd, entry to exit, besides sleeping"),
    UFFD_POLL_REGISTER_HOLD_NS("uffd-poll-register-hold", "ns", 80, Origin.CALIBRATED,
            "poll() putting the reader on the poll queue and checking for pending faults, under the poll queue's lock"),
    UFFD_POLL_WAKE_PER_POLLER_NS("uffd-poll-wake-per-poller", "ns", 1_200, Origin.CALIBRATED,
            "wake_up_poll() waking one reader asleep in poll, under the poll queue's lock (the herd: every poller wakes)"),
    FAULT_USER_NS("fault-user", "ns", 0, Origin.CALIBRATED,
            "the faulting thread's own work per fault it waited for, besides the access: the fault benchmark's "
                    + "timestamps, its blocktime and latency records and the read's check (demand_paging_test's vCPUs "
                    + "record nothing per fault: 0 in table A's fit; calibrate-host times the kernel backend's)"),
    UFFD_READER_USER_NS("uffd-reader-user", "ns", 0, Origin.CALIBRATED,
            "a uffd reader's own work per fault message besides its system calls: decoding the message and the "
                    + "resolver's bookkeeping (0 in table A's fit, where it is inside the calibrated syscall costs; "
                    + "calibrate-host times the kernel backend's)"),
    // ---- scheduling and locks
    LOCK_ACQUIRE_NS("lock-acquire", "ns", 20, Origin.CALIBRATED,
            "taking an uncontended spinlock"),
    LOCK_HANDOFF_NS("lock-handoff", "ns", 120, Origin.CALIBRATED,
            "a contended spinlock passing to the next spinning CPU (its cache line moving across cores)"),
    LOCK_HANDOFF_PER_SPINNER_NS("lock-handoff-per-spinner", "ns", 30, Origin.CALIBRATED,
            "extra hand-off cost of a uffd wait-queue lock for each further CPU spinning on it (every spinner pulls "
                    + "the lock's cache line, more so across sockets): what makes a uffd shared by many vCPUs and readers collapse"),
    LOCK_HANDOFF_MAX_NS("lock-handoff-max", "ns", 3_000, Origin.CALIBRATED,
            "the most a uffd wait-queue lock's hand-off takes however many CPUs spin on it (the cache line's "
                    + "transfer saturates)"),
    JITTER_PERCENT("jitter", "%", 30, Origin.CALIBRATED,
            "each CPU step's cost is drawn uniformly within this many percent of its value (seeded per thread), "
                    + "so that threads do not run in lock step and queues form as on a real machine"),
    THREAD_WAKEUP_NS("thread-wakeup", "ns", 3_000, Origin.CALIBRATED,
            "from waking a sleeping thread onto an idle CPU to it running there (IPI, the CPU leaving idle, scheduler, "
                    + "context switch); the CPU is the woken thread's from the wake on"),
    WAKEUP_CPU_NS("wakeup-cpu", "ns", 0, Origin.CALIBRATED,
            "CPU time a thread woken onto an idle CPU spends on it before it runs on (the scheduler switching it in, the "
                    + "return from the sleep), after thread-wakeup; 0 counts the whole wake-up as latency, which table A's "
                    + "fit does (calibrate-host measures it: on a virtual machine a wake-up is mostly CPU time)"),
    WAKER_CPU_NS("waker-cpu", "ns", 0, Origin.CALIBRATED,
            "CPU time the waking thread spends per thread it wakes onto an idle CPU (try_to_wake_up, the IPI), under the "
                    + "lock it wakes under (uffd wait queue or poll queue); 0 in table A's fit, which keeps it in "
                    + "uffd-wake-hold and uffd-poll-wake-per-poller"),
    WAKEUP_CPU_BUSY_NS("wakeup-cpu-busy", "ns", 0, Origin.CALIBRATED,
            "a thread woken while no CPU is idle is queued on a busy one at once, ahead of the threads that have been "
                    + "running (it preempts one that runs on): the CPU time it spends once it has the CPU, besides the "
                    + "context switch, before it runs on"),
    WAKER_CPU_BUSY_NS("waker-cpu-busy", "ns", 0, Origin.CALIBRATED,
            "as waker-cpu, per thread woken while no CPU is idle (queued on a busy CPU: no idle CPU to wake)"),
    WAKE_AFFINE_PERCENT("wake-affine", "%", 0, Origin.CALIBRATED,
            "of the wake-ups on the uffd path (a reader's UFFDIO_COPY or UFFDIO_WAKE waking a vCPU thread, a fault waking "
                    + "the readers in poll), the share placed on the waker's CPU, at the busy price, although another CPU "
                    + "is idle, drawn wake-up by wake-up while no other thread waits for the waker's CPU: the woken thread "
                    + "waits for its waker to yield or sleep (Linux's wake-affine placement); with wake-affine-run above "
                    + "0, the share of the time in placement phases instead (calibrate-host measures it); 0: a wake-up "
                    + "takes an idle CPU whenever one is free"),
    WAKE_AFFINE_RUN_US("wake-affine-run", "us", 0, Origin.CALIBRATED,
            "when above 0, the placement of wake-affine comes in phases, as this VM's kernel places (calibrate-host "
                    + "measures its runs of placed faults): the mean length of a placement phase, wake-affine then being the share of the "
                    + "time placing (spread phases last the rest); while one places, every uffd-path wake-up joins its "
                    + "waker's CPU whatever waits there, and an idle CPU pulls none of the threads waiting on another "
                    + "(cache-hot); 0: each wake-up is drawn on its own, wake-affine being the share of the wake-ups"),
    SCHED_SLICE_US("sched-slice", "us", 0, Origin.CALIBRATED,
            "how long a thread that got a CPU runs on before a woken thread waiting for a CPU preempts it (Linux's "
                    + "EEVDF lets the running task finish its slice, RUN_TO_PARITY: 0.75 ms times 1 + log2 of the CPUs, "
                    + "up to 8); 0: a woken thread preempts one that runs on at once"),
    MIGRATION_COST_US("migration-cost", "us", 0, Origin.CALIBRATED,
            "when above 0, a thread woken while every CPU is busy waits on its previous CPU's run queue, and a CPU "
                    + "about to go idle pulls no thread that ran less than this long ago (Linux's task_hot against "
                    + "sysctl_sched_migration_cost, 0.5 ms by default): it halts instead; 0: a woken thread takes the "
                    + "first CPU to come free"),
    CONTEXT_SWITCH_NS("context-switch", "ns", 1_500, Origin.CALIBRATED,
            "handing a CPU to the next runnable thread when every CPU is busy"),
    HOST_CPUS("host-cpus", "CPUs", 96, Origin.PUBLISHED,
            "host CPUs the vCPU and reader threads compete for (the table A machine: 96 logical CPUs, "
                    + "KVM Userfault series cover letter, December 2024)"),
    // ---- network (migration)
    NET_LATENCY_NS("net-latency", "ns", 30_000, Origin.PUBLISHED,
            "one-way latency of a page request and of the page's answer on a channel (the KVM Userfault motivation: "
                    + "about 30 us per 4 KiB page fetched)"),
    NET_BANDWIDTH_BYTES_PER_SEC("net-bandwidth", "bytes/s", 1_250_000_000L, Origin.PUBLISHED,
            "bandwidth of each channel (10 Gbit/s, the link of QEMU's postcopy-preempt measurements)"),
    DEST_INSTALL_NS("dest-install", "ns", 300, Origin.CALIBRATED,
            "the destination's per-page work on its event loop besides the copy and CRC (decode, claim, make present)"),
    // ---- KVM MMU and host events (--host-events); charged only when host events are simulated
    STAGE2_COMMIT_HOLD_NS("stage2-commit-hold", "ns", 150, Origin.ASSUMED,
            "the part of stage2-fault under the MMU lock's read side (mmu_invalidate_retry, installing the entry); "
                    + "the rest of stage2-fault, the host page lookup, runs before it without the lock"),
    HOST_EVENT_INVALIDATE_NS("host-event-invalidate", "ns", 300, Origin.ASSUMED,
            "invalidate_range_start under the MMU lock's write side, besides the zaps (the range marked in progress, "
                    + "the pfn caches checked)"),
    STAGE2_ZAP_NS("stage2-zap", "ns", 1_000, Origin.ASSUMED,
            "zapping one stage-2 entry under the MMU lock's write side, its remote TLB flush included"),
    HOST_EVENT_CHANGE_NS("host-event-change", "ns", 2_000, Origin.ASSUMED,
            "the host's own change of the page between invalidate_range_start and _end (PTE update, the copy of a "
                    + "migration, the swap-out's unmap; not the write-back), no KVM lock"),
    HOST_EVENT_END_NS("host-event-end", "ns", 100, Origin.ASSUMED,
            "invalidate_range_end under the MMU lock's write side (the in-progress count dropped, mmu_invalidate_seq bumped)"),
    HOST_EVENT_RETRY_NS("host-event-retry", "ns", 1_000, Origin.ASSUMED,
            "how long a conversion waits before it tries its change again while a copy of the page is being installed"),
    // ---- KVM's own accesses (--internal-access-fraction); charged only when KVM makes accesses itself
    PFN_CACHE_REFRESH_NS("pfn-cache-refresh", "ns", 600, Origin.ASSUMED,
            "a gfn-to-pfn cache refresh for one of KVM's own accesses (kvm_gpc_refresh: hva_to_pfn with the host page "
                    + "present, the entry published and re-checked against mmu_invalidate_seq), charged for a refresh "
                    + "that completes and for one that retries because an invalidation of the page is in progress; a "
                    + "cache hit is charged guest-access, a refresh that faults into the host host-fault");

    /** Where a default comes from. */
    public enum Origin {
        /** Measured on this project's machine by a command in the repository. */
        MEASURED,
        /** Quoted from a publication (named in the description). */
        PUBLISHED,
        /** Fitted to the published table A (see docs/simulation.md). */
        CALIBRATED,
        /**
         * An order-of-magnitude guess, neither measured nor fitted to anything: the host-event
         * costs, which no published figure constrains (results that depend on them say so).
         */
        ASSUMED
    }

    private final String key;
    private final String unit;
    private final long defaultValue;
    private final Origin origin;
    private final String meaning;

    Cost(String key, String unit, long defaultValue, Origin origin, String meaning) {
        this.key = key;
        this.unit = unit;
        this.defaultValue = defaultValue;
        this.origin = origin;
        this.meaning = meaning;
    }

    /** The name in cost files and in {@code --print-costs}. */
    public String key() {
        return key;
    }

    public String unit() {
        return unit;
    }

    public long defaultValue() {
        return defaultValue;
    }

    public Origin origin() {
        return origin;
    }

    public String meaning() {
        return meaning;
    }

    /** The parameter named {@code key}, or null. */
    public static Cost byKey(String key) {
        for (Cost c : values()) {
            if (c.key.equals(key)) return c;
        }
        return null;
    }
}
