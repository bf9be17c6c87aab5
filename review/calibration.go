package review

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/markwatch/markwatch/store"
)

// Calibration: the precision of every signal, signal combination and score
// band over the team's decisions, the calibrated ranking an admin applies
// to the queue, and suggested signal weights shown as a diff of
// signals.yaml that an admin reviews and writes — never silent learning.

// weightChange is one suggested weight.
type weightChange struct {
	Key       string
	Old, New  float64
	Precision float64
	Decided   int
}

// diffLine is one line of the suggested signals.yaml diff.
type diffLine struct {
	Line     int
	Old, New string
}

type calibrationView struct {
	*store.Calibration
	MinDecided, MinEach int
	Changes             []weightChange
	Diff                []diffLine
	Digest              string // of the suggested file, so that the write applies what was reviewed
	SignalsFile         string
	HasSignals          bool
}

// weightKeys are the signals.yaml weights a single signal type sets.
var weightKeys = []string{"special", "region", "price", "patent"}

func weightLine(key string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^(\s+` + regexp.QuoteMeta(key) + `:\s*)([0-9]*\.?[0-9]+)`)
}

// suggestWeights proposes, for each signal type the team decided enough
// listings of (that signal alone, besides the mark mention), the weight
// that makes the score of such a listing equal its observed precision:
// 1-(1-mention)(1-w) = p, so w = 1-(1-p)/(1-mention).
func suggestWeights(c *store.Calibration, yaml []byte) ([]byte, []weightChange) {
	mention := 0.2
	if m := weightLine("mention").FindSubmatch(yaml); m != nil {
		mention, _ = strconv.ParseFloat(string(m[2]), 64)
	}
	out := yaml
	var changes []weightChange
	for _, key := range weightKeys {
		var p *store.Precision
		for i := range c.Keys {
			if c.Keys[i].Group == key {
				p = &c.Keys[i]
			}
		}
		if p == nil || p.Confirmed < store.MinEach/2 && p.Dismissed < store.MinEach/2 || p.Confirmed+p.Dismissed < store.MinEach {
			continue
		}
		re := weightLine(key)
		m := re.FindSubmatchIndex(out)
		if m == nil {
			continue
		}
		old, _ := strconv.ParseFloat(string(out[m[4]:m[5]]), 64)
		w := 1 - (1-p.Likelihood)/(1-mention)
		w = math.Round(min(max(w, 0.01), 0.99)*100) / 100
		if w == old {
			continue
		}
		changes = append(changes, weightChange{Key: key, Old: old, New: w, Precision: p.Precision, Decided: p.Confirmed + p.Dismissed})
		out = append(append(append([]byte{}, out[:m[4]]...), strconv.FormatFloat(w, 'f', -1, 64)...), out[m[5]:]...)
	}
	return out, changes
}

func lineDiff(old, new []byte) []diffLine {
	a, b := strings.Split(string(old), "\n"), strings.Split(string(new), "\n")
	var out []diffLine
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			out = append(out, diffLine{Line: i + 1, Old: a[i], New: b[i]})
		}
	}
	return out
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (s *Server) calibrationData(r *http.Request) (*calibrationView, []byte, error) {
	c, err := s.store.Calibrate(r.Context())
	if err != nil {
		return nil, nil, err
	}
	v := &calibrationView{Calibration: c, MinDecided: store.MinDecided, MinEach: store.MinEach, SignalsFile: s.opts.SignalsFile}
	current, err := s.signalsText()
	if err != nil {
		return nil, nil, err
	}
	v.HasSignals = current != nil
	var suggested []byte
	if current != nil && c.Enough {
		suggested, v.Changes = suggestWeights(c, current)
		v.Diff = lineDiff(current, suggested)
		v.Digest = digest(suggested)
	}
	return v, suggested, nil
}

// signalsText is the signals.yaml the suggestion edits: the file when one
// is configured, else the text the server was given.
func (s *Server) signalsText() ([]byte, error) {
	if s.opts.SignalsFile != "" {
		b, err := os.ReadFile(s.opts.SignalsFile)
		if err != nil {
			return nil, fmt.Errorf("review: read %s: %w", s.opts.SignalsFile, err)
		}
		return b, nil
	}
	return s.opts.Signals, nil
}

func (s *Server) calibrationPage(w http.ResponseWriter, r *http.Request, p *principal) {
	v, _, err := s.calibrationData(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "calibration.html", p, "Calibration", v)
}

func (s *Server) apiCalibration(w http.ResponseWriter, r *http.Request, p *principal) {
	v, _, err := s.calibrationData(r)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calibration": v.Calibration, "suggested_weights": nonNil(v.Changes), "digest": v.Digest})
}

// applyWeightsForm writes the reviewed suggestion to the signals file
// (admin). The digest must match the suggestion the admin saw; the file is
// replaced atomically and the change audited line by line. Workers read
// the new weights when they restart.
func (s *Server) applyWeightsForm(w http.ResponseWriter, r *http.Request, p *principal) {
	if s.opts.SignalsFile == "" {
		s.fail(w, r, false, http.StatusConflict, "no signals file is configured to write (serve with a config whose signals.yaml is on disk)")
		return
	}
	v, suggested, err := s.calibrationData(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	if len(v.Diff) == 0 || r.PostFormValue("digest") != v.Digest {
		s.redirectFlash(w, r, "/calibration", "the suggestion changed since you reviewed it (new decisions): review it again")
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.opts.SignalsFile), ".signals-*.yaml")
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	_, werr := tmp.Write(suggested)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		s.serverError(w, r, false, fmt.Errorf("write %s: %v %v", tmp.Name(), werr, cerr))
		return
	}
	if err := os.Rename(tmp.Name(), s.opts.SignalsFile); err != nil {
		os.Remove(tmp.Name())
		s.serverError(w, r, false, err)
		return
	}
	var detail []string
	for _, c := range v.Changes {
		detail = append(detail, fmt.Sprintf("%s %.2f→%.2f (precision %.2f over %d)", c.Key, c.Old, c.New, c.Precision, c.Decided))
	}
	if err := s.store.Audit(r.Context(), p.User.Name, "apply_signal_weights", s.opts.SignalsFile, strings.Join(detail, "; ")); err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.log.Info("signal weights written", "user", p.User.Name, "file", s.opts.SignalsFile, "changes", len(v.Changes))
	s.redirectFlash(w, r, "/calibration", fmt.Sprintf("%d weight(s) written to %s; workers use them after a restart", len(v.Changes), s.opts.SignalsFile))
}
