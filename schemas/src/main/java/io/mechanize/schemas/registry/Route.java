package io.mechanize.schemas.registry;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The endpoints the registry serves, parsed from a method and a raw (still percent-encoded) path. */
sealed interface Route {

    record Root() implements Route {
    }

    record GetConfig() implements Route {
    }

    record ListSubjects() implements Route {
    }

    record ListVersions(String subject) implements Route {
    }

    record Register(String subject) implements Route {
    }

    record GetVersion(String subject, String version) implements Route {
    }

    record SchemaById(String id) implements Route {
    }

    record CheckCompatibility(String subject, String version) implements Route {
    }

    static Route parse(String method, String rawPath) {
        List<String> s = segments(rawPath);
        boolean get = "GET".equals(method);
        boolean post = "POST".equals(method);
        Route route = null;
        boolean wantsPost = false;
        if (s.isEmpty()) {
            route = new Root();
        } else if (s.equals(List.of("config"))) {
            route = new GetConfig();
        } else if (s.equals(List.of("subjects"))) {
            route = new ListSubjects();
        } else if (s.size() == 3 && s.get(0).equals("subjects") && s.get(2).equals("versions")) {
            if (post) {
                return new Register(s.get(1));
            }
            route = new ListVersions(s.get(1));
        } else if (s.size() == 4 && s.get(0).equals("subjects") && s.get(2).equals("versions")) {
            route = new GetVersion(s.get(1), s.get(3));
        } else if (s.size() == 3 && s.get(0).equals("schemas") && s.get(1).equals("ids")) {
            route = new SchemaById(s.get(2));
        } else if (s.size() == 5 && s.get(0).equals("compatibility") && s.get(1).equals("subjects")
                && s.get(3).equals("versions")) {
            route = new CheckCompatibility(s.get(2), s.get(4));
            wantsPost = true;
        }
        if (route == null) {
            throw RegistryException.notFound(rawPath);
        }
        if (wantsPost ? !post : !get) {
            throw RegistryException.methodNotAllowed(method, rawPath);
        }
        return route;
    }

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String raw : rawPath.split("/")) {
            if (!raw.isEmpty()) {
                segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }
}
