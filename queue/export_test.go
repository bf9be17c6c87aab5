package queue

// ItemTaskSample is itemTaskSample for the external tests' benchmarks.
var ItemTaskSample = itemTaskSample
