package org.postcopysim.dest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy for link-loss tests, with plain sockets and one thread per direction. It relays
 * every connection to a target both ways; {@link #cut()} closes every relayed connection and
 * refuses new ones (accepts and closes them at once) until {@link #restore()};
 * {@link #pause()} holds data in both directions without closing anything (a silent link) until
 * {@link #resume()}.
 */
final class CuttableProxy implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 << 10;

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean cut;
    private boolean paused; // guarded by gate
    private volatile boolean closed;

    CuttableProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far, refused ones included (count). */
    int accepted() {
        return accepted.get();
    }

    /** Closes every relayed connection and refuses new ones. */
    void cut() {
        cut = true;
        for (Socket s : sockets) closeQuietly(s);
        sockets.clear();
    }

    /** Relays new connections again. */
    void restore() {
        cut = false;
    }

    /** Holds all data (both directions) without closing anything. */
    void pause() {
        synchronized (gate) {
            paused = true;
        }
    }

    void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            if (cut) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                if (cut) { // cut while connecting
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                pump(client, upstream, "proxy-up");
                pump(upstream, client, "proxy-down");
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[BUFFER_BYTES];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    awaitNotPaused();
                    out.write(buf, 0, n);
                }
            } catch (IOException | InterruptedException e) {
                // closed or cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private void awaitNotPaused() throws InterruptedException {
        synchronized (gate) {
            while (paused && !closed) gate.wait();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.setSoLinger(true, 0); // reset: the peer sees the link die, as on a cable pull
        } catch (IOException ignored) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        cut();
    }
}
