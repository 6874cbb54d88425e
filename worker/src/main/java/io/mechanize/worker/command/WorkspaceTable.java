package io.mechanize.worker.command;

import io.mechanize.schemas.avro.CreateWorkspace;
import io.mechanize.schemas.avro.WorkspaceState;
import io.mechanize.schemas.avro.WorkspaceStatus;
import io.mechanize.worker.workspace.Workspace;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The workspaces this worker knows: their last state and, for live ones, the container handle.
 * Entries are read and changed from one workspace's lane at a time (the dispatcher's per-key
 * order), so an entry needs no lock of its own; the map is concurrent because lanes of different
 * workspaces run at once.
 */
public final class WorkspaceTable {

    /** One workspace: its state, the command that created it, and its live container if any. */
    public static final class Entry {
        private volatile WorkspaceState state;
        private final CreateWorkspace creation;
        private volatile Workspace live;
        private final java.time.Instant createdAt;

        Entry(WorkspaceState state, CreateWorkspace creation, Workspace live) {
            this.state = state;
            this.creation = creation;
            this.live = live;
            this.createdAt = state.getUpdatedAt();
        }

        /** When this worker created (or restored) the workspace. */
        public java.time.Instant createdAt() {
            return createdAt;
        }

        public WorkspaceState state() {
            return state;
        }

        public CreateWorkspace creation() {
            return creation;
        }

        public Optional<Workspace> live() {
            return Optional.ofNullable(live);
        }

        void update(WorkspaceState next, Workspace liveNow) {
            this.state = next;
            this.live = liveNow;
        }
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    public Optional<Entry> get(String workspaceId) {
        return Optional.ofNullable(entries.get(workspaceId));
    }

    void put(WorkspaceState state, CreateWorkspace creation, Workspace live) {
        entries.put(state.getWorkspaceId(), new Entry(state, creation, live));
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

    /** Removes and returns every live container handle, for shutdown. */
    public List<Workspace> drainLive() {
        List<Workspace> live = entries.values().stream()
                .map(e -> e.live)
                .filter(java.util.Objects::nonNull)
                .toList();
        entries.values().forEach(e -> e.live = null);
        return live;
    }

    /** Forgets closed and failed workspaces last updated before {@code cutoffMillis}. */
    public int evictFinished(long cutoffMillis) {
        Collection<Entry> values = entries.values();
        int before = values.size();
        values.removeIf(e -> e.live == null
                && e.state.getStatus() != WorkspaceStatus.ACTIVE
                && e.state.getUpdatedAt().toEpochMilli() < cutoffMillis);
        return before - values.size();
    }
}
