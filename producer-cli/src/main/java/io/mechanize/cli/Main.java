package io.mechanize.cli;

import io.mechanize.cli.commands.DashboardCommand;
import io.mechanize.cli.commands.BenchCommand;
import io.mechanize.cli.commands.DemoCommand;
import io.mechanize.cli.commands.ExportCommand;
import io.mechanize.cli.commands.ResultsCommand;
import io.mechanize.cli.commands.RunCommand;
import io.mechanize.cli.commands.StackCommand;
import io.mechanize.cli.commands.SubmitCommand;
import io.mechanize.cli.commands.WatchCommand;
import io.mechanize.cli.commands.WorkerCommand;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "mechanize", mixinStandardHelpOptions = true, version = "mechanize fleet 0.1.0",
        description = "Run AI-agent software-engineering simulations on a Kafka-driven fleet of Docker workspaces.",
        subcommands = {DemoCommand.class, RunCommand.class, SubmitCommand.class, WorkerCommand.class,
                StackCommand.class, ResultsCommand.class, ExportCommand.class, WatchCommand.class,
                DashboardCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Commands whose console belongs to a progress bar and a summary: quiet logs unless asked. */
    private static final Set<String> INTERACTIVE = Set.of("demo", "run", "submit", "stack", "results", "export",
            "dashboard", "bench");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        if (args.length > 0 && INTERACTIVE.contains(args[0]) && System.getProperty("mechanize.log.level") == null) {
            System.setProperty("mechanize.log.level", "WARN");
        }
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
                    commandLine.getErr().println("mechanize " + commandLine.getCommandName() + ": " + message(e));
                    org.slf4j.LoggerFactory.getLogger(Main.class).debug("failure", e);
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }

    private static String message(Throwable e) {
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            if (cause.getMessage() != null && !out.toString().contains(cause.getMessage())) {
                out.append(": ").append(cause.getMessage());
            }
            e = cause;
            cause = cause.getCause();
        }
        return out.toString();
    }
}
