package io.mechanize.cli.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.util.Locale;

/**
 * Readable lines or JSON lines, chosen when Logback starts from the {@code format} property
 * ({@code text} or {@code json}, any case; logback.xml fills it from {@code MECHANIZE_LOG_FORMAT}).
 * An unknown value falls back to text with a Logback warning, so a typo never silences the logs.
 */
public final class LogFormatEncoder extends EncoderBase<ILoggingEvent> {
    private String format = "text";
    private String pattern = "%d %-5level [%thread] %logger - %msg%n";
    private Encoder<ILoggingEvent> delegate;

    public void setFormat(String format) {
        this.format = format == null ? "text" : format.trim().toLowerCase(Locale.ROOT);
    }

    /** The layout of text lines. */
    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    @Override
    public void start() {
        if (format.equals("json")) {
            JsonEncoder json = new JsonEncoder();
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithArguments(false);
            json.setWithMessage(false);
            json.setWithFormattedMessage(true);
            delegate = json;
        } else {
            if (!format.equals("text")) {
                addWarn("unknown log format '" + format + "' (MECHANIZE_LOG_FORMAT): use text or json; writing text");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
