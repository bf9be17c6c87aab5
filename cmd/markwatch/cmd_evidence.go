package main

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/markwatch/markwatch/takedown"
)

// EvidenceCmd groups evidence tools.
type EvidenceCmd struct {
	Verify EvidenceVerifyCmd `cmd:"" help:"Check an evidence bundle: every file's SHA-256 against its manifest, and the RFC 3161 timestamp when present. Exit 1 naming the first file that fails."`
}

// EvidenceVerifyCmd verifies an evidence bundle (a takedown batch's ZIP).
type EvidenceVerifyCmd struct {
	Bundle  string `arg:"" help:"The bundle (ZIP) to check." type:"existingfile"`
	TSACert string `name:"tsa-cert" help:"PEM file of the time-stamping authority's root certificate(s): the token's signer must chain to one. Default: the token's signature is checked against the certificate it carries." type:"existingfile" placeholder:"PEM"`
}

func (c *EvidenceVerifyCmd) Run(g *Globals) error {
	var opts takedown.VerifyTimestampOptions
	if c.TSACert != "" {
		pem, err := os.ReadFile(c.TSACert)
		if err != nil {
			return err
		}
		opts.Roots = x509.NewCertPool()
		if !opts.Roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificate in it", c.TSACert)
		}
	}
	f, err := os.Open(c.Bundle)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	v, err := takedown.VerifyBundle(f, st.Size(), opts)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Bundle, err)
	}
	m := v.Manifest
	fmt.Fprintf(g.stdout, "%s: OK, batch %d, %d listing(s), %d file(s) match their SHA-256\n", c.Bundle, m.Batch, len(m.Listings), v.Files)
	if v.Timestamped {
		fmt.Fprintf(g.stdout, "timestamp: OK, manifest stamped at %s by %s\n", v.StampedAt.UTC().Format("2006-01-02 15:04:05 UTC"), m.TSA)
	} else {
		fmt.Fprintln(g.stdout, "timestamp: none")
	}
	return nil
}
