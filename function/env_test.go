package function

import (
	"log/slog"
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
		errs []string // every variable named in the error
	}{
		{"complete", map[string]string{EnvTable: "orderpipe-dev-Orders", EnvDLQURL: "https://sqs.eu-west-1.amazonaws.com/1/q", EnvLogLevel: "debug", EnvConcurrency: "4"},
			Config{Table: "orderpipe-dev-Orders", DLQURL: "https://sqs.eu-west-1.amazonaws.com/1/q", LogLevel: slog.LevelDebug, Concurrency: 4}, nil},
		{"defaults", map[string]string{EnvTable: "orders", EnvDLQURL: "http://127.0.0.1:4100/000000000000/dlq"},
			Config{Table: "orders", DLQURL: "http://127.0.0.1:4100/000000000000/dlq", LogLevel: slog.LevelInfo, Concurrency: DefaultConcurrency}, nil},
		{"nothing set", nil, Config{}, []string{`ORDERS_TABLE=""`, `DLQ_URL=""`}},
		{"bad values", map[string]string{EnvTable: "a b", EnvDLQURL: "sqs/queue", EnvLogLevel: "loud", EnvConcurrency: "101"}, Config{},
			[]string{`ORDERS_TABLE="a b"`, `DLQ_URL="sqs/queue"`, `LOG_LEVEL="loud"`, `HANDLER_CONCURRENCY="101"`}},
		{"concurrency zero", map[string]string{EnvTable: "orders", EnvDLQURL: "https://q/1/x", EnvConcurrency: "0"}, Config{}, []string{`HANDLER_CONCURRENCY="0": must be a whole number from 1 to 100`}},
	}
	for _, tt := range tests {
		got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
		if tt.errs == nil {
			if err != nil || got != tt.want {
				t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, want := range tt.errs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %s", tt.name, err, want)
			}
		}
	}
}
