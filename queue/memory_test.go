package queue_test

import (
	"testing"

	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/queue/queuetest"
)

func TestMemoryFrontier(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, opts queue.Options) queue.Frontier {
		return queue.NewMemory(opts)
	})
}
