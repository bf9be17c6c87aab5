package matchers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
)

// The benchmarks of issue 3: 10,000 generated marks (Latin and CJK names)
// over generated titles, through the full pipeline (normalise + match +
// score) and through a bare Aho-Corasick scan of the same automaton over the
// raw text (no normalisation, no scoring) as the baseline.
//
//	go test -bench . -run '^$' -benchtime 1000000x ./matchers/
//
// runs each over exactly 1,000,000 titles, drawn cyclically from a pool of
// 100,000 distinct ones (a million distinct strings would only measure the
// memory system). Both report titles/s on one goroutine, i.e. per core.

const (
	benchMarks  = 10000
	benchTitles = 100000
)

var (
	benchOnce     sync.Once
	benchMarkList []Mark
	benchPool     []string
)

// commonHan are frequent characters for filler text and CJK names.
const commonHan = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质信"

func benchData() ([]Mark, []string) {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		han := []rune(commonHan)
		latinWord := func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('a' + rng.IntN(26))
			}
			return string(b)
		}
		hanWord := func(n int) string {
			r := make([]rune, n)
			for i := range r {
				r[i] = han[rng.IntN(len(han))]
			}
			return string(r)
		}
		benchMarkList = benchMarksN(rng, han, benchMarks)
		obfuscate := func(name string) string {
			switch rng.IntN(4) {
			case 0: // spaced
				return strings.Join(strings.Split(name, ""), " ")
			case 1: // full width
				var b strings.Builder
				for _, r := range name {
					if r >= 'a' && r <= 'z' {
						r = r - 'a' + 'Ａ'
					}
					b.WriteRune(r)
				}
				return b.String()
			case 2: // upper case with a dash
				rs := []rune(strings.ToUpper(name))
				return string(rs[:1]) + "-" + string(rs[1:])
			}
			return name
		}
		slang := []string{"高仿", "原单", "1:1", "正品", "包邮", "新款", "2024", "专柜", "现货"}
		for range benchTitles {
			var b strings.Builder
			for b.Len() < 60 { // about 25-35 runes
				switch k := rng.IntN(10); {
				case k < 5:
					b.WriteString(hanWord(2 + rng.IntN(3)))
				case k < 7:
					b.WriteString(latinWord(3 + rng.IntN(5)))
				case k < 8:
					b.WriteString(slang[rng.IntN(len(slang))])
				default:
					b.WriteString(fmt.Sprint(rng.IntN(1000)))
				}
				b.WriteByte(' ')
			}
			if rng.IntN(3) == 0 {
				mk := benchMarkList[rng.IntN(len(benchMarkList))]
				names := append(slices.Clone(mk.Names), mk.Aliases[0].Name)
				name := names[rng.IntN(len(names))]
				s := b.String()
				at := rng.IntN(len(s)/2) * 2
				for at > 0 && !utf8Start(s[at]) {
					at--
				}
				b.Reset()
				b.WriteString(s[:at] + " " + obfuscate(name) + " " + s[at:])
			}
			benchPool = append(benchPool, b.String())
		}
	})
	return benchMarkList, benchPool
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// cpuTime is the CPU time this process has used (user + system). On a
// shared machine, wall time measures the other tenants as much as the
// code; CPU time measures the work done, so the benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMarksN generates n marks, each with a Han name (3-4 characters), a
// Latin name (5-10 letters) and a Han alias (3 characters), so that every
// mark also brings its pinyin spellings, homophone patterns, look-alike
// variants and doubled-letter variants (issue 12's benchmark registry).
func benchMarksN(rng *rand.Rand, han []rune, n int) []Mark {
	hanWord := func(k int) string {
		r := make([]rune, k)
		for i := range r {
			r[i] = han[rng.IntN(len(han))]
		}
		return string(r)
	}
	latinWord := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	marks := make([]Mark, 0, n)
	for i := range n {
		mk := Mark{ID: fmt.Sprintf("m%06d", i), Kind: markwatch.Trademark, MinPrice: float64(100 + rng.IntN(5000)),
			Names: []string{hanWord(3 + rng.IntN(2)), latinWord(5 + rng.IntN(6))}, Aliases: []Alias{{Name: hanWord(3)}}}
		if i%10 == 0 {
			mk.Context = []string{hanWord(2)}
		}
		marks = append(marks, mk)
	}
	return marks
}

func benchSignals(b testing.TB) Signals {
	cfg, err := config.Load("")
	if err != nil {
		b.Fatal(err)
	}
	s, err := LoadSignals(cfg.SignalsLocation())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPipeline: Match (normalise + automaton + context/exclude/boundary
// checks + descriptive use + patent scan + scoring with explanations) of one
// title per op. It also times the bare scan of the same titles in
// interleaved chunks and reports the ratio as "x-bare", so that the ratio
// holds even when other processes load the machine unevenly.
func BenchmarkPipeline(b *testing.B) {
	marks, titles := benchData()
	m, err := New(marks, benchSignals(b))
	if err != nil {
		b.Fatal(err)
	}
	price := 99.0
	ctx := context.Background()
	hits, found := 0, 0
	runtime.GC() // the build's garbage is not the pipeline's cost
	var pipeline, bare time.Duration
	var ratios []float64
	b.ReportAllocs()
	b.ResetTimer()
	const chunk = 1024
	var pipelineCPU, bareCPU time.Duration
	// runPipeline and runBare time one chunk each way. Whichever runs
	// second finds the chunk's titles, and the automaton states they
	// visit, in cache: so the order alternates from chunk to chunk, and
	// neither side always gets the warm caches.
	runPipeline := func(from, n int) time.Duration {
		cpu0 := cpuTime()
		start := time.Now()
		for k := from; k < from+n; k++ {
			v, err := m.Match(ctx, markwatch.Listing{ID: "b", Title: titles[k%len(titles)], Price: &price})
			if err != nil {
				b.Fatal(err)
			}
			hits += len(v.Hits)
		}
		d := time.Since(start)
		pipeline += d
		pipelineCPU += cpuTime() - cpu0
		return d
	}
	runBare := func(from, n int) time.Duration {
		b.StopTimer()
		cpu0 := cpuTime()
		start := time.Now()
		for k := from; k < from+n; k++ {
			found += m.auto.countString(titles[k%len(titles)])
		}
		d := time.Since(start)
		bare += d
		bareCPU += cpuTime() - cpu0
		b.StartTimer()
		return d
	}
	for i := 0; i < b.N; i += chunk {
		n := min(chunk, b.N-i)
		var p, s time.Duration
		if (i/chunk)%2 == 0 {
			p = runPipeline(i, n)
			s = runBare(i, n)
		} else {
			s = runBare(i, n)
			p = runPipeline(i, n)
		}
		if n == chunk {
			ratios = append(ratios, p.Seconds()/s.Seconds())
		}
	}
	b.ReportMetric(float64(b.N)/pipeline.Seconds(), "titles/s")
	b.ReportMetric(float64(b.N)/pipelineCPU.Seconds(), "titles/cpu-s")
	b.ReportMetric(pipelineCPU.Seconds()/bareCPU.Seconds(), "x-bare-cpu")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/title")
	// The median of the per-chunk ratios: a burst of load from another
	// process slows one chunk of one side, and the median ignores it.
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "x-bare")
	} else {
		b.ReportMetric(pipeline.Seconds()/bare.Seconds(), "x-bare")
	}
	_ = found
}

// BenchmarkBareScan: the same automaton over the raw title, rune by rune,
// with no normalisation and no scoring: the baseline.
func BenchmarkBareScan(b *testing.B) {
	marks, titles := benchData()
	m, err := New(marks, benchSignals(b))
	if err != nil {
		b.Fatal(err)
	}
	found := 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		found += m.auto.countString(titles[i%len(titles)])
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "titles/s")
	b.ReportMetric(float64(found)/float64(b.N), "hits/title")
}

// BenchmarkBuild: compiling 1,000, 10,000 and 100,000 marks (Han name,
// alias and Latin name each, with every variant: pinyin, homophones,
// look-alikes, doubled letters) plus the default signals into the matcher.
// The per-rune fold table (NFKD, confusables, OpenCC t2s) and the syllable
// table are built once per process, not per registry, and are measured by
// BenchmarkFoldTable; the dictionary is read in place (words.go).
func BenchmarkBuild(b *testing.B) {
	_, _ = benchData()
	signals := benchSignals(b)
	folds()
	syllableTableOnce()
	for _, n := range []int{1000, 10000, 100000} {
		marks := benchMarksN(rand.New(rand.NewPCG(3, 4)), []rune(commonHan), n)
		b.Run(fmt.Sprintf("marks=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var heap, peak uint64
			var patterns, states int
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				cpu0 := cpuTime()
				m, err := New(marks, signals)
				cpu += cpuTime() - cpu0
				var during runtime.MemStats
				runtime.ReadMemStats(&during)
				peak = max(peak, during.HeapSys-before.HeapReleased)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				patterns, states = m.Patterns()
				runtime.KeepAlive(m)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/build")
			b.ReportMetric(float64(heap)/(1<<20), "MB-retained")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/build")
			b.ReportMetric(float64(peak)/(1<<20), "MB-heap-sys")
			b.ReportMetric(float64(patterns), "patterns")
			b.ReportMetric(float64(states), "states")
		})
	}
}

// BenchmarkFoldTable: building the process-wide fold table once.
func BenchmarkFoldTable(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buildFoldTable()
	}
}

// BenchmarkSyllableTable: the process-wide pinyin syllable table.
func BenchmarkSyllableTable(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		syllablesOnce = sync.Once{}
		syllableTableOnce()
	}
}

// BenchmarkNormalize: the normaliser alone, for profiling the pipeline.
func BenchmarkNormalize(b *testing.B) {
	_, titles := benchData()
	t := folds()
	var x text
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.normalize(&x, titles[i%len(titles)])
	}
}
