package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkIngest stores a batch of 10 suspect findings and applies the
// notification rules, with no notifier (baseline) and with a notifier
// whose receiver never answers and whose deliverer is stuck in it.
func BenchmarkIngest(b *testing.B) {
	for _, mode := range []string{"no-notifier", "hanging-receiver"} {
		b.Run(mode, func(b *testing.B) {
			clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
			st := openStore(b, clk.now)
			ctx := context.Background()
			var n *Notifier
			if mode == "hanging-receiver" {
				url, _ := hangingReceiver(b)
				cfg, _ := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: a, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: [a]}]\ntimeout: 1h\n", url)))
				n = New(st, cfg, Options{Now: clk.now})
				ctx = runNotifier(b, n)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fs := findings(fmt.Sprintf("r%d", i), 10, clk.now())
				for j := range fs {
					fs[j].Listing.ID = fmt.Sprintf("B%d-%d", i, j)
				}
				if _, err := st.PutFindings(ctx, fs); err != nil {
					b.Fatal(err)
				}
				if n != nil {
					if err := n.Findings(ctx, fs); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkDeliveryBesideHangingChannel measures one event's way from
// enqueue to a healthy receiver, with that channel alone (baseline) and
// beside a channel whose receiver never answers and whose lane is stuck
// in it: per-channel lanes make the two equal.
func BenchmarkDeliveryBesideHangingChannel(b *testing.B) {
	for _, mode := range []string{"alone", "beside-hanging"} {
		b.Run(mode, func(b *testing.B) {
			clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
			st := openStore(b, clk.now)
			got := make(chan struct{}, 1)
			ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- struct{}{} }))
			defer ok.Close()
			stuck, _ := hangingReceiver(b)
			channels := "[team]"
			if mode == "beside-hanging" {
				channels = "[stuck, team]"
			}
			cfg, err := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: stuck, type: webhook, url: %q}, {name: team, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: %s}]\ntimeout: 1h\n",
				stuck, ok.URL, channels)))
			if err != nil {
				b.Fatal(err)
			}
			n := New(st, cfg, Options{Now: clk.now, Poll: time.Hour})
			ctx := runNotifier(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fs := findings("r", 1, clk.now())
				fs[0].Listing.ID = fmt.Sprintf("D%d", i)
				if err := n.Findings(ctx, fs); err != nil {
					b.Fatal(err)
				}
				<-got
			}
		})
	}
}
