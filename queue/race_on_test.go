//go:build race

package queue_test

// raceBuild says the test binary was built with -race; the drills build
// the markwatch binary the same way so that it reuses the test's build cache.
const raceBuild = true
