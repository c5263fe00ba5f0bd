package org.postcopysim.dest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A scripted source for failure tests, on blocking sockets: for each accepted connection it
 * reads the Hello frame and answers with whatever frames the script returns, then keeps reading
 * (recording frame types) until the peer closes or the script says to hang up.
 */
final class FakeSource implements AutoCloseable {
    /** What to send after a connection's Hello; {@code hangUp} closes the connection right after. */
    record Reply(List<ByteBuf> frames, boolean hangUp) {}

    final ServerSocket server;
    final List<Integer> receivedTypes = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    FakeSource(Function<Integer, Reply> script) throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            int n = 0;
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    int index = n++;
                    Thread t = new Thread(() -> serve(s, script.apply(index)), "fake-source-" + index);
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "fake-source-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve(Socket s, Reply reply) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            readFrame(in);
            for (ByteBuf f : reply.frames()) {
                byte[] bytes = new byte[f.readableBytes()];
                f.readBytes(bytes);
                f.release();
                out.write(bytes);
            }
            out.flush();
            if (reply.hangUp()) return;
            while (true) readFrame(in);
        } catch (IOException e) {
            // peer closed
        }
    }

    private void readFrame(DataInputStream in) throws IOException {
        int len = in.readInt();
        byte[] body = new byte[len];
        in.readFully(body);
        receivedTypes.add(len > 0 ? body[0] & 0xFF : -1);
    }

    static ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
