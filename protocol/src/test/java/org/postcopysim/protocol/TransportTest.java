package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void nameIsEpollOrNioAndChannelClassesMatchIt() {
        String name = Transport.name();
        assertTrue(Set.of("epoll", "nio").contains(name), name);
        if (name.equals("epoll")) {
            assertEquals(EpollSocketChannel.class, Transport.socketChannel());
            assertEquals(EpollServerSocketChannel.class, Transport.serverChannel());
        } else {
            assertEquals(NioSocketChannel.class, Transport.socketChannel());
            assertEquals(NioServerSocketChannel.class, Transport.serverChannel());
        }
    }

    @Test
    void eventLoopGroupRunsTasksOnNamedThreadsAndShutsDown() throws Exception {
        EventLoopGroup group = Transport.newGroup(2, "transport-test");
        try {
            String thread = group.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
            assertTrue(thread.startsWith("transport-test"), thread);
            assertTrue(group.submit(() -> Thread.currentThread().isDaemon()).get(10, TimeUnit.SECONDS),
                    "event loop threads are daemons");
        } finally {
            assertTrue(group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS),
                    "group terminated within the bound");
        }
        assertTrue(group.isTerminated());
    }
}
