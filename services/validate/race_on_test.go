//go:build race

package validate

// raceDetector reports a -race build, whose shadow memory inflates RSS.
const raceDetector = true
