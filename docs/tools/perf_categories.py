#!/usr/bin/env python3
"""Where the background stream's threads spend their time, from a system-wide perf recording.

usage: perf script -i perf.data -F comm,tid,ip,sym | python3 perf_categories.py 'REGEX'

Each sample of a thread whose name matches REGEX goes to the first category its stack matches
(see categorize); prints each thread's share per category. Used by docs/performance.md.
"""
import sys, collections, re
rx = re.compile(sys.argv[1])

def categorize(frames):
    s = " | ".join(frames)
    leaf = frames[0] if frames else ""
    if "epoll_wait" in s or "epollWait" in s: return "epoll_wait (idle)"
    if "PageContents.crc32c" in s or "CRC32C" in s: return "CRC32C"
    if "copy_user" in leaf or "copyout" in leaf or "_copy_to_iter" in s or "copy_page_to_iter" in s or "skb_copy_datagram" in s:
        return "kernel copy to user (recv)"
    if "tcp_recvmsg" in s or "__sys_recvfrom" in s or "sock_recvmsg" in s or "recvAddress" in s or "readAddress" in s: return "recv syscall (other)"
    if "tcp_sendmsg" in s or "sendAddress" in s or "writevAddresses" in s or "__sys_sendmsg" in s or "do_writev" in s or "sendmsg" in s: return "send syscall (loopback tx+rx softirq)"
    if "PageInstaller.install" in s and ("copyMemory" in s or "getBytes" in s or "Copy::" in s or "StubRoutines" in leaf): return "install: copy and CRC32C (JIT stubs)"
    if "PageInstaller" in s: return "install (claim, bitmap)"
    if "PageBatchCodec$Reader" in s: return "decode PageBatch"
    if "PageBatchCodec.addPage" in s or "encodeBatch" in s: return "encode (header; short batches copied)"
    if "ByteToMessageDecoder" in s or "Cumulator" in s: return "frame decoder/cumulation"
    if "Allocator" in s or "PoolArena" in s or "Adaptive" in s: return "buffer alloc"
    if "BackgroundStreamer" in s or "SentBitmap" in s: return "stream turn (claim, write, flush; not the syscall)"
    if "flush" in s.lower(): return "flush (other)"
    return "other: " + leaf[:60]
per = collections.defaultdict(collections.Counter)
comm = None; frames = []
def emit():
    if comm and rx.search(comm): per[comm][categorize(frames)] += 1
for line in sys.stdin:
    if not line.strip():
        emit(); comm = None; frames = []; continue
    if not line.startswith((" ", "\t")):
        emit(); frames = []
        comm = line.split()[0] if line.split() else None
        # thread names may contain spaces; we only use prefix up to tid
        m = re.match(r"^(\S.*?)\s+\d+", line); comm = m.group(1) if m else comm
    else:
        parts = line.strip().split(None, 1)
        frames.append(parts[1] if len(parts) > 1 else parts[0])
emit()
for c, cnt in sorted(per.items()):
    n = sum(cnt.values())
    print(f"== {c}: {n} samples")
    for k, v in cnt.most_common(14): print(f"  {100*v/n:5.1f}%  {k}")

