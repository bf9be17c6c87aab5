package takedown

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// localTSA is an RFC 3161 time-stamping authority on loopback with a
// self-signed certificate, answering with the same library the client
// uses. When lie is set it stamps another hash than the one asked.
type localTSA struct {
	*httptest.Server
	cert  *x509.Certificate
	roots *x509.CertPool
	lie   atomic.Bool
	now   time.Time
}

func startTSA(t *testing.T) *localTSA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "markwatch test TSA"},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), // wide: the signer checks its own clock
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tsa := &localTSA{cert: cert, roots: x509.NewCertPool(), now: now}
	tsa.roots.AddCert(cert)
	tsa.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hashed := req.HashedMessage
		if tsa.lie.Load() {
			other := sha256.Sum256([]byte("another manifest"))
			hashed = other[:]
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: hashed, Time: tsa.now,
			Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}, AddTSACertificate: req.Certificates}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(tsa.Close)
	return tsa
}

// x509Pool is a pool holding an unrelated self-signed certificate.
func x509Pool(t *testing.T) *x509.CertPool {
	return startTSA(t).roots
}
