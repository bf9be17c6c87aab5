package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// HandleBatch takes the entries of one read together and they are acked
// together; when it fails, each entry is stored on its own through Handle,
// so nothing is lost or stored twice by the consumer.
func TestFindingsHandleBatch(t *testing.T) {
	for _, failBatch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch_fails=%v", failBatch), func(t *testing.T) {
			srv := testredis.Start(t)
			client := srv.Client()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pub := queue.NewFindingsPublisher(client)
			const pages = 12
			for i := range pages {
				id := fmt.Sprintf("L%02d", i)
				if err := pub.Put(ctx, page("r1", "http://shop.test/item/"+id, []byte("<html>"+id+"</html>")), []markwatch.Finding{finding("r1", id, true)}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			seen := map[string]int{}
			batchCalls, batchEntries, singles := 0, 0, 0
			c := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "c1", Count: 64, Block: 100 * time.Millisecond,
				Handle: func(_ context.Context, b queue.FindingsBatch) error {
					mu.Lock()
					defer mu.Unlock()
					singles++
					seen[b.Findings[0].Listing.ID]++
					return nil
				},
				HandleBatch: func(_ context.Context, bs []queue.FindingsBatch) error {
					mu.Lock()
					defer mu.Unlock()
					batchCalls++
					if failBatch {
						return errors.New("store refused the batch")
					}
					batchEntries += len(bs)
					for _, b := range bs {
						if _, err := b.Page.Body(); err != nil {
							t.Errorf("entry %s: %v", b.ID, err)
						}
						seen[b.Findings[0].Listing.ID]++
					}
					return nil
				}}
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			waitFor(t, "every entry acked", 30*time.Second, func() bool {
				n, err := client.XLen(ctx, findingsStream).Result()
				return err == nil && n == 0
			})
			cancel()
			<-done
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != pages {
				t.Fatalf("stored %d listings, want %d", len(seen), pages)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s stored %d times", id, n)
				}
			}
			if batchCalls == 0 {
				t.Fatal("HandleBatch never called for a read of several entries")
			}
			if failBatch && singles != pages {
				t.Errorf("after a failed batch %d entries went through Handle, want %d", singles, pages)
			}
			if !failBatch && batchEntries+singles != pages {
				t.Errorf("batch took %d, Handle %d, want %d in all", batchEntries, singles, pages)
			}
		})
	}
}
