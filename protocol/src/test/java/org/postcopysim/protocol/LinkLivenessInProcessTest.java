package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Both ends of a real loopback connection in this JVM, each on an event loop of its own, as the
 * soak runs the source and the destination (issue 8): an end whose event loop does not run for
 * longer than the link timeout (blocked here on purpose; on a loaded machine, starved) is a stall
 * of this process, and the other end must not take it for a dead link. An end that runs on time
 * but whose bytes never leave is still timed out.
 */
@ExtendWith(NettyLeakCheck.class)
class LinkLivenessInProcessTest {
    static final long TIMEOUT_MS = 400;

    /** Records what reaches the end of one side's pipeline: exceptions; releases what it reads. */
    static final class Tail extends ChannelInboundHandlerAdapter {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    /** Drops every byte written towards the socket, as a path that loses every packet would. */
    static final class BlackHole extends ChannelOutboundHandlerAdapter {
        volatile boolean on;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!on) {
                ctx.write(msg, promise);
                return;
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }
    }

    private EventLoopGroup serverGroup;
    private EventLoopGroup clientGroup;
    private Channel listener;
    private Channel server;
    private Channel client;
    private final Tail serverTail = new Tail();
    private final Tail clientTail = new Tail();
    private final BlackHole clientBlackHole = new BlackHole();

    @BeforeEach
    void connect() throws Exception {
        serverGroup = Transport.newGroup(1, "test-server");
        clientGroup = Transport.newGroup(1, "test-client");
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        listener = new ServerBootstrap().group(serverGroup).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LinkLiveness(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS)), serverTail);
                        accepted.complete(ch);
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        client = new Bootstrap().group(clientGroup).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(clientBlackHole,
                                new LinkLiveness(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS)), clientTail);
                    }
                }).connect(listener.localAddress()).sync().channel();
        server = accepted.get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() {
        if (client != null) client.close().syncUninterruptibly();
        if (server != null) server.close().syncUninterruptibly();
        if (listener != null) listener.close().syncUninterruptibly();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Blocks the client's event loop for {@code ms} (returns once the block has begun). */
    private CountDownLatch blockClientLoop(long ms) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        client.eventLoop().execute(() -> {
            started.countDown();
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        return done;
    }

    @Test
    void anEndWhoseEventLoopIsBlockedLongerThanTheTimeoutIsNotTakenForADeadLink() throws Exception {
        Thread.sleep(TIMEOUT_MS); // keepalives flow both ways
        assertTrue(server.isActive() && client.isActive());
        CountDownLatch done = blockClientLoop(4 * TIMEOUT_MS); // nothing runs on the client's loop: no keepalive
        assertTrue(done.await(10, TimeUnit.SECONDS));
        Thread.sleep(3 * TIMEOUT_MS); // the client catches up; both sides judge again
        assertEquals(List.of(), serverTail.errors, "the server end timed out a live link");
        assertEquals(List.of(), clientTail.errors);
        assertTrue(server.isActive(), "the connection stays open");
        assertTrue(client.isActive());
    }

    @Test
    void anEndThatRunsOnTimeButWhoseBytesNeverLeaveIsStillTimedOut() throws Exception {
        Thread.sleep(TIMEOUT_MS);
        clientBlackHole.on = true; // the client's loop runs, its keepalives are lost on the way
        long t0 = System.nanoTime();
        assertTrue(server.closeFuture().await(10 * TIMEOUT_MS, TimeUnit.MILLISECONDS), "the server end timed the silence out");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= TIMEOUT_MS - TIMEOUT_MS / 4, "not before the timeout: " + ms + " ms");
        assertEquals(1, serverTail.errors.size(), String.valueOf(serverTail.errors));
        assertInstanceOf(LinkLiveness.LinkTimeoutException.class, serverTail.errors.get(0));
    }

    @Test
    void aBlockedEndThatNeverComesBackStaysOpenOnlyWhileItIsBlocked() throws Exception {
        // Once the blocked end runs again on time for a whole timeout, a silence is judged as usual.
        CountDownLatch done = blockClientLoop(3 * TIMEOUT_MS);
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(server.isActive(), "not timed out while the client's loop was blocked");
        clientBlackHole.on = true;
        assertTrue(server.closeFuture().await(10 * TIMEOUT_MS, TimeUnit.MILLISECONDS),
                "timed out once the client ran on time again without a byte arriving");
        assertInstanceOf(LinkLiveness.LinkTimeoutException.class, serverTail.errors.get(0));
    }
}
