package io.mechanize.schemas.registry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's rules over its store: global ids from 1, one id per distinct schema (across
 * subjects), versions per subject from 1, BACKWARD compatibility with the latest version.
 * Schemas are kept in Avro's normalised JSON ({@code Schema.toString()}), which is also their identity.
 * Locks are ReentrantReadWriteLock, not monitors, so a virtual thread writing to Kafka does not pin.
 */
final class RegistryState {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryState.class);

    private final SchemaStore store;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<String, NavigableMap<Integer, SchemaRecord>> subjects = new TreeMap<>();
    private int lastId;

    RegistryState(SchemaStore store) {
        this.store = Objects.requireNonNull(store, "store is null");
        for (SchemaRecord record : store.loadAll()) {
            remember(record);
        }
        LOG.info("schema registry state loaded: {} subjects, {} schemas, last id {}",
                subjects.size(), schemasById.size(), lastId);
    }

    /** Registers {@code schemaText} under {@code subject}; the same schema again returns its id, no new version. */
    int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String canonical = schema.toString();
        lock.writeLock().lock();
        try {
            NavigableMap<Integer, SchemaRecord> versions = subjects.get(subject);
            if (versions != null) {
                for (SchemaRecord existing : versions.values()) {
                    if (existing.schema().equals(canonical)) {
                        return existing.id();
                    }
                }
                SchemaPairCompatibility check = backward(schema, versions.lastEntry().getValue());
                if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                    throw RegistryException.incompatible(subject, check.getResult().getIncompatibilities());
                }
            }
            int id = idsBySchema.getOrDefault(canonical, lastId + 1);
            int version = versions == null ? 1 : versions.lastKey() + 1;
            SchemaRecord record = new SchemaRecord(subject, version, id, canonical);
            store.append(record);
            remember(record);
            LOG.info("registered {} version {} as schema id {}", subject, version, id);
            return id;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether {@code schemaText} may become the next version of {@code subject} (checked against {@code version}). */
    boolean isCompatible(String subject, String version, String schemaText) {
        Schema schema = parse(schemaText);
        SchemaRecord against = version(subject, version);
        return backward(schema, against).getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    String schemaById(int id) {
        lock.readLock().lock();
        try {
            String schema = schemasById.get(id);
            if (schema == null) {
                throw RegistryException.schemaNotFound(Integer.toString(id));
            }
            return schema;
        } finally {
            lock.readLock().unlock();
        }
    }

    List<String> subjects() {
        lock.readLock().lock();
        try {
            return List.copyOf(subjects.keySet());
        } finally {
            lock.readLock().unlock();
        }
    }

    List<Integer> versions(String subject) {
        lock.readLock().lock();
        try {
            return List.copyOf(versionsOf(subject).keySet());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The record of {@code version} ("latest" or a positive integer) of {@code subject}. */
    SchemaRecord version(String subject, String version) {
        Optional<Integer> number = parseVersion(version);
        lock.readLock().lock();
        try {
            NavigableMap<Integer, SchemaRecord> versions = versionsOf(subject);
            SchemaRecord record = number.isPresent() ? versions.get(number.get()) : versions.lastEntry().getValue();
            if (record == null) {
                throw RegistryException.versionNotFound(subject, version);
            }
            return record;
        } finally {
            lock.readLock().unlock();
        }
    }

    private NavigableMap<Integer, SchemaRecord> versionsOf(String subject) {
        NavigableMap<Integer, SchemaRecord> versions = subjects.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return versions;
    }

    /** Empty for "latest". */
    private static Optional<Integer> parseVersion(String version) {
        if ("latest".equals(version) || "-1".equals(version)) {
            return Optional.empty();
        }
        try {
            int number = Integer.parseInt(version);
            if (number < 1) {
                throw RegistryException.invalidVersion(version);
            }
            return Optional.of(number);
        } catch (NumberFormatException e) {
            throw RegistryException.invalidVersion(version);
        }
    }

    private void remember(SchemaRecord record) {
        schemasById.put(record.id(), record.schema());
        idsBySchema.putIfAbsent(record.schema(), record.id());
        subjects.computeIfAbsent(record.subject(), s -> new TreeMap<>()).put(record.version(), record);
        lastId = Math.max(lastId, record.id());
    }

    /** BACKWARD: the new schema (reader) can read what the previous one (writer) wrote. */
    private static SchemaPairCompatibility backward(Schema candidate, SchemaRecord previous) {
        return SchemaCompatibility.checkReaderWriterCompatibility(candidate, new Schema.Parser().parse(previous.schema()));
    }

    private static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw RegistryException.invalidSchema("the request has no schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (RuntimeException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
    }
}
