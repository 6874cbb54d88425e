package io.mechanize.worker.sandbox;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test CA, an engine's certificate for 127.0.0.1 and a client's, as {@code dockerd --tlsverify}
 * and {@code DOCKER_CERT_PATH} use them (BouncyCastle, which docker-java brings to read PEM files).
 *
 * @param engine the engine's side: its key and certificate, trusting clients the CA signed
 * @param certPath {@code ca.pem}, {@code cert.pem} and {@code key.pem} of the client
 */
record TestTls(SSLContext engine, Path certPath) {
    private static final char[] PASSWORD = "test".toCharArray();

    static TestTls create(Path dir) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair caKeys = generator.generateKeyPair();
        X500Name caName = new X500Name("CN=mechanize test CA");
        X509Certificate ca = certificate(caName, caKeys.getPublic(), caName, caKeys.getPrivate(), true, null);
        KeyPair engineKeys = generator.generateKeyPair();
        X509Certificate engine = certificate(new X500Name("CN=127.0.0.1"), engineKeys.getPublic(), caName,
                caKeys.getPrivate(), false, new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        KeyPair clientKeys = generator.generateKeyPair();
        X509Certificate client = certificate(new X500Name("CN=worker"), clientKeys.getPublic(), caName,
                caKeys.getPrivate(), false, null);

        Path certPath = Files.createDirectories(dir.resolve("certs"));
        pem(certPath.resolve("ca.pem"), ca);
        pem(certPath.resolve("cert.pem"), client);
        pem(certPath.resolve("key.pem"), clientKeys.getPrivate());

        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("engine", engineKeys.getPrivate(), PASSWORD, new Certificate[] {engine, ca});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        return new TestTls(context, certPath);
    }

    private static X509Certificate certificate(X500Name subject, PublicKey key, X500Name issuer, PrivateKey issuerKey,
            boolean isCa, GeneralName alternativeName) throws Exception {
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, key);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (alternativeName != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternativeName));
        }
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    }

    private static void pem(Path file, Object object) throws IOException {
        try (Writer out = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object);
        }
    }
}
