//go:build !race

package queue_test

const raceBuild = false
