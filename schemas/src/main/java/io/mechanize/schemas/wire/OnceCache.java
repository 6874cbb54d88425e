package io.mechanize.schemas.wire;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A cache that loads each key at most once at a time: concurrent callers of a missing key wait for
 * the one load in flight instead of repeating it. A failed load is forgotten, so the next call retries.
 * Loads run outside any monitor, so a virtual thread doing HTTP in a load does not pin its carrier.
 */
final class OnceCache<K, V> {

    private final ConcurrentHashMap<K, CompletableFuture<V>> entries = new ConcurrentHashMap<>();

    V get(K key, Function<? super K, ? extends V> loader) {
        CompletableFuture<V> existing = entries.get(key);
        if (existing == null) {
            CompletableFuture<V> mine = new CompletableFuture<>();
            existing = entries.putIfAbsent(key, mine);
            if (existing == null) {
                return load(key, loader, mine);
            }
        }
        try {
            return existing.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /** Remembers a value learnt another way (e.g. the id -> schema pair learnt by registering). */
    void putIfAbsent(K key, V value) {
        entries.putIfAbsent(key, CompletableFuture.completedFuture(value));
    }

    private V load(K key, Function<? super K, ? extends V> loader, CompletableFuture<V> mine) {
        try {
            V value = loader.apply(key);
            if (value == null) {
                throw new IllegalStateException("loader returned null for " + key);
            }
            mine.complete(value);
            return value;
        } catch (RuntimeException | Error e) {
            entries.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }
}
