package io.mechanize.worker.command;

import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.avro.WorkspaceStatus;
import io.mechanize.worker.workspace.Workspace;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The workspaces this worker knows: their last state and, for live ones, the container handle.
 * An entry is changed from its workspace's lane (the dispatcher's per-key order) and, when its
 * partition is handed over, by the polling thread, which may do so while a command that outlived
 * the grace still runs: who holds the container ({@link Entry#detach}, {@link Entry#release},
 * {@link Entry#rebuilt}) is therefore decided under the entry's lock. The map is concurrent
 * because lanes of different workspaces run at once.
 */
public final class WorkspaceTable {

    /** One workspace: its state, the command that created it (when known here), its container. */
    public static final class Entry {
        private volatile WorkspaceState state;
        private volatile CreateWorkspace creation;
        private volatile Workspace live;
        private volatile Instant createdAt;
        private volatile Instant lastActivity;
        private boolean released;

        Entry(WorkspaceState state, CreateWorkspace creation, Workspace live) {
            this.state = state;
            this.creation = creation;
            this.live = live;
            this.createdAt = state.getUpdatedAt();
            this.lastActivity = state.getUpdatedAt();
        }

        public WorkspaceState state() {
            return state;
        }

        /** The CreateWorkspace body, or empty for a workspace restored from the state topic. */
        public Optional<CreateWorkspace> creation() {
            return Optional.ofNullable(creation);
        }

        public Optional<Workspace> live() {
            return Optional.ofNullable(live);
        }

        /** When this worker created (or rebuilt) the workspace's container. */
        public Instant createdAt() {
            return createdAt;
        }

        public Instant lastActivity() {
            return lastActivity;
        }

        /**
         * Takes the state after a command; {@code liveNow} null means the container is gone. It
         * never puts a container back: one taken by {@link #detach} stays taken.
         */
        synchronized void update(WorkspaceState next, Workspace liveNow) {
            this.state = next;
            if (liveNow == null) {
                this.live = null;
            }
            this.lastActivity = next.getUpdatedAt();
        }

        /**
         * Takes the container away from this entry, exactly once: whoever gets it closes it and
         * frees its slot; everyone else gets null.
         */
        synchronized Workspace detach() {
            Workspace was = live;
            live = null;
            return was;
        }

        /**
         * Takes the entry out of this worker's hands: its container is detached (see {@link
         * #detach}) and no container can be attached to it again.
         */
        synchronized Workspace release() {
            released = true;
            return detach();
        }

        /**
         * Attaches a rebuilt container. Returns false, attaching nothing, when the entry was
         * released meanwhile (its partition went away while the container was being built): the
         * caller still holds the container and must remove it.
         */
        synchronized boolean rebuilt(CreateWorkspace create, Workspace container, Instant at) {
            if (released) {
                return false;
            }
            this.creation = create;
            this.live = container;
            this.createdAt = at;
            this.lastActivity = at;
            return true;
        }
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    public Optional<Entry> get(String workspaceId) {
        return Optional.ofNullable(entries.get(workspaceId));
    }

    void put(WorkspaceState state, CreateWorkspace creation, Workspace live) {
        entries.put(state.getWorkspaceId(), new Entry(state, creation, live));
    }

    /**
     * Takes a workspace's state as read from the state topic, without a container here. An entry
     * this worker already holds is kept: it is at least as new as what the topic says.
     */
    public void restore(WorkspaceState state) {
        entries.putIfAbsent(state.getWorkspaceId(), new Entry(state, null, null));
    }

    /**
     * Removes a workspace's entry only while its state is {@code state} itself (the same object):
     * what one command left, and not an entry that replaced it since (a restore from the log).
     */
    public Optional<Entry> removeIfState(String workspaceId, WorkspaceState state) {
        Entry e = entries.get(workspaceId);
        if (e != null && e.state() == state && entries.remove(workspaceId, e)) {
            return Optional.of(e);
        }
        return Optional.empty();
    }

    /** Removes and returns the entries of workspaces created on the given command partitions. */
    public List<Entry> removePartitions(Collection<Integer> partitions) {
        List<Entry> removed = new ArrayList<>();
        entries.values().removeIf(e -> {
            boolean match = partitions.contains(e.state.getCreatePartition());
            if (match) {
                removed.add(e);
            }
            return match;
        });
        return removed;
    }

    /** Live workspaces: their containers run on this worker. */
    public int liveCount() {
        return (int) entries.values().stream().filter(e -> e.live != null).count();
    }

    public Set<String> liveWorkspaceIds() {
        return entries.entrySet().stream()
                .filter(e -> e.getValue().live != null)
                .map(java.util.Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Live workspaces whose last command finished before {@code cutoff}. */
    public List<String> idleSince(Instant cutoff) {
        return entries.entrySet().stream()
                .filter(e -> e.getValue().live != null && e.getValue().lastActivity.isBefore(cutoff))
                .map(java.util.Map.Entry::getKey)
                .toList();
    }

    /** Removes and returns every live container handle, for shutdown. */
    public List<Workspace> drainLive() {
        List<Workspace> live = entries.values().stream()
                .map(e -> e.live)
                .filter(java.util.Objects::nonNull)
                .toList();
        entries.values().forEach(e -> e.live = null);
        return live;
    }

    /** Forgets closed and failed workspaces last updated before {@code cutoff}. */
    public int evictFinished(Instant cutoff) {
        Collection<Entry> values = entries.values();
        int before = values.size();
        values.removeIf(e -> e.live == null
                && e.state.getStatus() != WorkspaceStatus.ACTIVE
                && e.state.getUpdatedAt().isBefore(cutoff));
        return before - values.size();
    }
}
