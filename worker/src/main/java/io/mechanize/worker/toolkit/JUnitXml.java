package io.mechanize.worker.toolkit;

import io.mechanize.schemas.avro.TestCase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Test cases from JUnit XML (surefire, pytest, gotestsum, ...): every {@code testcase} element,
 * failed when it holds {@code failure}, error for {@code error}, skipped for {@code skipped},
 * else passed. Parsed with DOCTYPEs refused, so no external entity is ever read.
 */
public final class JUnitXml {
    /** How test ids are written. */
    public enum Ids { PYTEST, CLASSNAME_DOT_NAME }

    private JUnitXml() {}

    /**
     * @throws IllegalArgumentException when the bytes are not well-formed JUnit XML, saying why
     */
    public static List<TestCase> parse(byte[] xml, Ids ids) {
        Document doc;
        try {
            doc = builder().parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw new IllegalArgumentException("the JUnit XML report is not well-formed: " + e.getMessage(), e);
        }
        String root = doc.getDocumentElement().getTagName();
        if (!root.equals("testsuites") && !root.equals("testsuite")) {
            throw new IllegalArgumentException("the report's root element is <" + root + ">, not <testsuites> or <testsuite>");
        }
        List<TestCase> cases = new ArrayList<>();
        NodeList testcases = doc.getElementsByTagName("testcase");
        for (int i = 0; i < testcases.getLength(); i++) {
            Element tc = (Element) testcases.item(i);
            String classname = tc.getAttribute("classname");
            String name = tc.getAttribute("name");
            String id = switch (ids) {
                case PYTEST -> PytestIds.nodeId(classname, name, tc.hasAttribute("file") ? tc.getAttribute("file") : null);
                case CLASSNAME_DOT_NAME -> classname.isEmpty() ? name : classname + "." + name;
            };
            cases.add(new TestCase(id, outcome(tc)));
        }
        return cases;
    }

    static String outcome(Element testcase) {
        String outcome = TestOutcomes.PASSED;
        for (Node child = testcase.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element e) {
                switch (e.getTagName()) {
                    case "failure" -> outcome = TestOutcomes.FAILED;
                    case "error" -> {
                        return TestOutcomes.ERROR;
                    }
                    case "skipped" -> {
                        if (outcome.equals(TestOutcomes.PASSED)) {
                            outcome = e.getAttribute("type").equals("pytest.xfail") ? TestOutcomes.XFAILED : TestOutcomes.SKIPPED;
                        }
                    }
                    default -> { } // system-out, system-err, properties
                }
            }
        }
        return outcome;
    }

    private static DocumentBuilder builder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be configured safely", e);
        }
    }
}
