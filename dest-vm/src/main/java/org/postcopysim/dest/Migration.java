package org.postcopysim.dest;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.postcopysim.dest.fetch.BatchInstaller;
import org.postcopysim.dest.net.DestConnectionHandler;
import org.postcopysim.dest.vcpu.RunControl;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Switchover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one migration that the connections report into: the handshake and switchover
 * as they arrive, where each connection's pages are installed, and the first failure.
 */
final class Migration implements DestConnectionHandler.Listener {
    private static final Logger log = LoggerFactory.getLogger(Migration.class);

    final CompletableFuture<Handshake> handshake = new CompletableFuture<>();
    final CompletableFuture<Switchover> switchover = new CompletableFuture<>();
    final CompletableFuture<CompletionResult> result = new CompletableFuture<>();
    final CompletableFuture<Void> allPresent = new CompletableFuture<>();
    final RunControl control = new RunControl();

    volatile BatchInstaller demandInstaller;
    volatile BatchInstaller backgroundInstaller;

    @Override
    public void onHandshake(Handshake h) {
        if (!handshake.complete(h)) onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "source sent a second Handshake");
    }

    @Override
    public void onSwitchover(Switchover s) {
        if (!switchover.complete(s)) onFailure(ChannelRole.CHANNEL_ROLE_DEMAND, "source sent a second Switchover");
    }

    @Override
    public String onPageBatch(ByteBuf frame, boolean demandChannel) {
        BatchInstaller installer = demandChannel ? demandInstaller : backgroundInstaller;
        if (installer == null) return "PAGE_BATCH before the migration was set up";
        return installer.installFrame(frame);
    }

    @Override
    public void onCompletionResult(CompletionResult r) {
        result.complete(r);
    }

    @Override
    public void onFailure(ChannelRole role, String why) {
        if (control.failed() || result.isDone()) {
            log.debug("after the first failure or the result: {}", why);
        } else {
            log.error("migration failed: {}", why);
        }
        fail(why);
    }

    void fail(String why) {
        control.fail(why);
        RuntimeException e = new IllegalStateException(why);
        handshake.completeExceptionally(e);
        switchover.completeExceptionally(e);
        result.completeExceptionally(e);
    }
}
