package io.mechanize.schemas;

import io.mechanize.schemas.avro.SimulationCommand;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to load a specific record class named in a schema unless it is trusted
 * ("Forbidden ... not trusted to be included in Avro schemas"). This trusts the contract's generated
 * package, and only it, in addition to whatever the process already trusts. The serde calls it; code
 * that builds its own SpecificDatumReader calls {@link #trustContractClasses()} first.
 */
public final class AvroTrust {

    /** The package of the generated contract classes. */
    public static final String CONTRACT_PACKAGE = SimulationCommand.class.getPackageName();

    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private AvroTrust() {
    }

    /** Adds the contract package to Avro's global class trust; idempotent and thread-safe. */
    public static void trustContractClasses() {
        if (INSTALLED.compareAndSet(false, true)) {
            ClassSecurityValidator.ClassSecurityPredicate contract =
                    type -> CONTRACT_PACKAGE.equals(type.getPackageName());
            ClassSecurityValidator.setGlobal(
                    ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), contract));
        }
    }
}
