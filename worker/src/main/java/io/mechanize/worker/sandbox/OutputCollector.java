package io.mechanize.worker.sandbox;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;

/**
 * Receives an exec's multiplexed frames (from docker-java, or from the worker's own stream over
 * the engine's socket: {@link #engineOutput}) and keeps stdout and stderr apart, each capped.
 */
final class OutputCollector extends ResultCallback.Adapter<Frame> {
    private final HeadTailBuffer stdout;
    private final HeadTailBuffer stderr;

    OutputCollector(int maxBytesPerStream) {
        this.stdout = new HeadTailBuffer(maxBytesPerStream);
        this.stderr = new HeadTailBuffer(maxBytesPerStream);
    }

    @Override
    public void onNext(Frame frame) {
        byte[] payload = frame.getPayload();
        if (payload == null) {
            return;
        }
        synchronized (this) {
            switch (frame.getStreamType()) {
                case STDERR -> stderr.write(payload);
                case STDOUT, RAW -> stdout.write(payload);
                case STDIN -> { } // never sent back by the engine
            }
        }
    }

    /** This collector as the output of a stream over the engine's socket ({@link EngineSocket}). */
    EngineSocket.Output engineOutput() {
        return new EngineSocket.Output() {
            @Override
            public void stdout(byte[] bytes) {
                synchronized (OutputCollector.this) {
                    stdout.write(bytes);
                }
            }

            @Override
            public void stderr(byte[] bytes) {
                synchronized (OutputCollector.this) {
                    stderr.write(bytes);
                }
            }

            @Override
            public void ended(String why) {
                onComplete();
            }
        };
    }

    synchronized CappedOutput stdout() {
        return stdout.toOutput();
    }

    synchronized CappedOutput stderr() {
        return stderr.toOutput();
    }
}
