package cron

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		expr string
		want time.Time
	}{
		{"0 0 1 * * *", time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)},
		{"0 12 * * *", time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		{"@hourly", time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC)},
		{"@every 1h", at.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := Next(tt.expr, at)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("got %v, %v, want %v", got, err, tt.want)
			}
		})
	}
	if _, err := Next("every tuesday", at); err == nil {
		t.Error("a bad expression was accepted")
	}
}
