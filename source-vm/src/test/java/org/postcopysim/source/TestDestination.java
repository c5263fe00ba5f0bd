package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameDecoder;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageRequestCodec;
import org.postcopysim.protocol.Transport;

/**
 * A raw Netty destination for tests: one connection; frames in as they arrive (copied to the
 * heap and released at once), frames out as the test builds them. Every wait is bounded.
 */
final class TestDestination implements AutoCloseable {
    /** Bound of every wait in the tests. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** One received frame: its type, a heap copy of its body and when it arrived (System.nanoTime). */
    record Frame(FrameType type, byte[] body, long receivedNs) {
        <T> T parse(Parser<T> parser) {
            try {
                return parser.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("malformed " + type + " body", e);
            }
        }
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final BlockingQueue<Frame> frames;

    private TestDestination(EventLoopGroup group, Channel channel, BlockingQueue<Frame> frames) {
        this.group = group;
        this.channel = channel;
        this.frames = frames;
    }

    static TestDestination connect(InetSocketAddress address) {
        EventLoopGroup group = Transport.newGroup(1, "test-destination");
        BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        try {
            Channel ch = new Bootstrap().group(group).channel(Transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new FrameDecoder(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES),
                                    new SimpleChannelInboundHandler<ByteBuf>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                                            if (Frames.type(frame) == FrameType.FRAME_TYPE_KEEPALIVE) return; // as a destination does
                                            frames.add(new Frame(Frames.type(frame), ByteBufUtil.getBytes(frame,
                                                    Frames.bodyIndex(frame), Frames.bodyLength(frame)), System.nanoTime()));
                                        }
                                    });
                        }
                    })
                    .connect(address).syncUninterruptibly().channel();
            return new TestDestination(group, ch, frames);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    static Hello hello(ChannelRole role, String migrationId, int vcpus) {
        return Hello.newBuilder().setProtocolVersion(SourceVm.PROTOCOL_VERSION).setRole(role)
                .setMigrationId(migrationId).setVcpus(vcpus).build();
    }

    /** Sends a control message as one frame. */
    void send(FrameType type, MessageLite message) {
        sendRaw(Frames.encode(channel.alloc(), type, message));
    }

    void sendRequest(long requestId, long... gfns) {
        sendRaw(PageRequestCodec.encode(channel.alloc(), requestId, gfns, gfns.length, true));
    }

    /** Sends raw bytes (the caller's frame, well-formed or not); the buffer is released by the write. */
    void sendRaw(ByteBuf bytes) {
        channel.writeAndFlush(bytes).syncUninterruptibly();
    }

    ByteBuf buffer() {
        return channel.alloc().buffer();
    }

    /** The next frame, failing the test when none arrives within {@link #TIMEOUT}. */
    Frame next() {
        Frame f = poll(TIMEOUT);
        if (f == null) fail("no frame within " + TIMEOUT + (channel.isActive() ? "" : " (connection closed)"));
        return f;
    }

    /** The next frame, which must be of {@code type}. */
    Frame next(FrameType type) {
        Frame f = next();
        if (f.type() != type) {
            fail("expected " + type + ", got " + f.type()
                    + (f.type() == FrameType.FRAME_TYPE_ERROR ? " " + f.parse(Error.parser()) : ""));
        }
        return f;
    }

    /** The next frame within {@code timeout}, or null. */
    Frame poll(Duration timeout) {
        try {
            return frames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The next frame must be an Error of {@code code}; returns it. */
    Error expectError(Error.Code code) {
        Error e = next(FrameType.FRAME_TYPE_ERROR).parse(Error.parser());
        assertEquals(code, e.getCode(), e.getText());
        return e;
    }

    /** Waits (bounded) for the source to close the connection. */
    void awaitClosed() {
        if (!channel.closeFuture().awaitUninterruptibly(TIMEOUT.toMillis())) {
            fail("connection still open after " + TIMEOUT);
        }
    }

    boolean isActive() {
        return channel.isActive();
    }

    /** Stops (false) or resumes (true) reading from the socket: a peer that requests without reading. */
    void setReading(boolean on) {
        channel.config().setAutoRead(on);
    }

    /** Queues {@code bytes} without flushing or waiting (the peer may not be reading). */
    void writeLater(ByteBuf bytes) {
        channel.write(bytes, channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    /** Closes the connection at once, whatever the peer does. */
    void hangUp() {
        channel.close().awaitUninterruptibly(TIMEOUT.toMillis());
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(TIMEOUT.toMillis());
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(TIMEOUT.toMillis());
    }
}
