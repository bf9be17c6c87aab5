package takedown

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// maxTSAResponse bounds what is read from a time-stamping authority.
const maxTSAResponse = 1 << 20

// Stamp asks the RFC 3161 authority at url to timestamp data's SHA-256 and
// returns the token (DER), after checking that it covers data.
func Stamp(ctx context.Context, client *http.Client, url string, data []byte) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := timestamp.CreateRequest(bytes.NewReader(data), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		return nil, fmt.Errorf("takedown: timestamp request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("takedown: timestamp %s: %w", url, err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("takedown: timestamp %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse))
	if err != nil {
		return nil, fmt.Errorf("takedown: timestamp %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("takedown: timestamp %s: HTTP %d", url, resp.StatusCode)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("takedown: timestamp %s: %w", url, err)
	}
	sum := sha256.Sum256(data)
	if !bytes.Equal(ts.HashedMessage, sum[:]) {
		return nil, fmt.Errorf("takedown: timestamp %s: the token covers another hash", url)
	}
	return ts.RawToken, nil
}

// VerifyTimestampOptions configure VerifyToken.
type VerifyTimestampOptions struct {
	// Roots, when set, must be where the signing certificate chains to;
	// nil checks the signature against the certificate in the token only
	// (integrity, not the authority's identity).
	Roots *x509.CertPool
}

// VerifyToken checks an RFC 3161 token: its signature, that it covers
// data's SHA-256, and, with Roots, the signer's chain. It returns the time
// the authority signed.
func VerifyToken(token, data []byte, opts VerifyTimestampOptions) (time.Time, error) {
	ts, err := timestamp.Parse(token)
	if err != nil {
		return time.Time{}, fmt.Errorf("token does not verify: %w", err)
	}
	if ts.HashAlgorithm != crypto.SHA256 {
		return time.Time{}, fmt.Errorf("token uses %v, want SHA-256", ts.HashAlgorithm)
	}
	sum := sha256.Sum256(data)
	if !bytes.Equal(ts.HashedMessage, sum[:]) {
		return time.Time{}, fmt.Errorf("token covers hash %x, the manifest's is %x", ts.HashedMessage, sum)
	}
	if opts.Roots != nil {
		if len(ts.Certificates) == 0 {
			return time.Time{}, fmt.Errorf("token carries no certificate to check against the roots")
		}
		inter := x509.NewCertPool()
		for _, c := range ts.Certificates[1:] {
			inter.AddCert(c)
		}
		if _, err := ts.Certificates[0].Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter,
			CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return time.Time{}, fmt.Errorf("signer: %w", err)
		}
	}
	return ts.Time, nil
}
