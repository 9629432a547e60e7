package spec

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestLoadConfigDefaults(t *testing.T) {
	got, err := LoadMap("dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		LambdaTimeout: 30, LambdaMemory: 512, Architecture: "arm64", BatchSize: 10, BatchWindow: 0,
		MaxConcurrency: 10, MaxReceiveCount: 3, QueueRetention: 345600, DLQRetention: 1209600,
		LogRetentionDays: 30, LogLevel: "info", HandlerConcurrency: 10, QueueAgeAlarm: 600, RawMessageDelivery: true,
		Tracing: true,
	}
	if got != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if got.VisibilityTimeout() != 180 {
		t.Errorf("default visibility timeout = %d, want 6 × 30 + 0 = 180", got.VisibilityTimeout())
	}
}

func TestLoadConfigValues(t *testing.T) {
	got, err := LoadMap("dev", map[string]string{
		"orderpipe:lambdaTimeout": "60", "orderpipe:lambdaMemory": "512", "orderpipe:architecture": "x86_64",
		"orderpipe:batchSize": "100", "orderpipe:batchWindow": "5", "orderpipe:maxConcurrency": "50",
		"orderpipe:maxReceiveCount": "5", "orderpipe:visibilityTimeout": "900", "orderpipe:queueRetention": "86400",
		"orderpipe:dlqRetention": "604800", "orderpipe:logRetentionDays": "90", "orderpipe:logLevel": "debug",
		"orderpipe:handlerConcurrency": "25", "orderpipe:queueAgeAlarm": "120", "orderpipe:alarmEmail": "ops@example.com",
		"orderpipe:rawMessageDelivery": "false", "orderpipe:deletionProtection": "true", "orderpipe:tracing": "false",
		"orderpipe:permissionsBoundary": "arn:aws:iam::123456789012:policy/ci/orderpipe-ci-boundary",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		LambdaTimeout: 60, LambdaMemory: 512, Architecture: "x86_64", BatchSize: 100, BatchWindow: 5,
		MaxConcurrency: 50, MaxReceiveCount: 5, VisibilityOverride: 900, QueueRetention: 86400, DLQRetention: 604800,
		LogRetentionDays: 90, LogLevel: "debug", HandlerConcurrency: 25, QueueAgeAlarm: 120, AlarmEmail: "ops@example.com",
		RawMessageDelivery: false, DeletionProtection: true,
		PermissionsBoundary: "arn:aws:iam::123456789012:policy/ci/orderpipe-ci-boundary",
	}
	if got != want {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestVisibilityTimeout(t *testing.T) {
	tests := []struct {
		timeout, window, override, want int
	}{
		{timeout: 1, want: 6},
		{timeout: 30, want: 180},
		{timeout: 30, window: 20, want: 200},
		{timeout: 900, window: 300, want: 5700},
		{timeout: 30, window: 20, override: 30, want: 30},
		{timeout: 30, override: 1000, want: 1000},
	}
	for _, tt := range tests {
		c := Config{LambdaTimeout: tt.timeout, BatchWindow: tt.window, VisibilityOverride: tt.override}
		if got := c.VisibilityTimeout(); got != tt.want {
			t.Errorf("timeout %d, window %d, override %d: visibility %d, want %d", tt.timeout, tt.window, tt.override, got, tt.want)
		}
	}
}

func TestDeletionProtectionDefault(t *testing.T) {
	tests := map[string]bool{
		"prod": true, "production": true, "prod-eu": true, "prod_us": true, "production.2": true,
		"dev": false, "staging": false, "products": false, "preprod": false, "pr-12-prod": false,
	}
	for stack, want := range tests {
		c, err := LoadMap(stack, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.DeletionProtection != want {
			t.Errorf("stack %q: deletion protection %v, want %v", stack, c.DeletionProtection, want)
		}
	}
	c, err := LoadMap("prod", map[string]string{"orderpipe:deletionProtection": "false"})
	if err != nil || c.DeletionProtection {
		t.Errorf("prod with deletionProtection=false: %v, %v; want it off", c.DeletionProtection, err)
	}
}

func TestLoadConfigRejects(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		want   string // the whole message of the one expected error
	}{
		{"timeout zero", map[string]string{"lambdaTimeout": "0"}, `orderpipe:lambdaTimeout="0": must be a whole number from 1 to 900 (seconds)`},
		{"timeout too long", map[string]string{"lambdaTimeout": "901"}, `orderpipe:lambdaTimeout="901": must be a whole number from 1 to 900 (seconds)`},
		{"timeout not a number", map[string]string{"lambdaTimeout": "30s"}, `orderpipe:lambdaTimeout="30s": must be a whole number from 1 to 900 (seconds)`},
		{"memory too small", map[string]string{"lambdaMemory": "127"}, `orderpipe:lambdaMemory="127": must be a whole number from 128 to 10240 (MB)`},
		{"memory too large", map[string]string{"lambdaMemory": "10241"}, `orderpipe:lambdaMemory="10241": must be a whole number from 128 to 10240 (MB)`},
		{"architecture", map[string]string{"architecture": "amd64"}, `orderpipe:architecture="amd64": must be one of arm64, x86_64`},
		{"batch size zero", map[string]string{"batchSize": "0"}, `orderpipe:batchSize="0": must be a whole number from 1 to 10000 (messages)`},
		{"batch size too large", map[string]string{"batchSize": "10001", "batchWindow": "1"}, `orderpipe:batchSize="10001": must be a whole number from 1 to 10000 (messages)`},
		{"large batch needs a window", map[string]string{"batchSize": "11"}, `orderpipe:batchWindow=0 (the default, key not set): must be at least 1 second when batchSize is above 10 (an SQS event source rule)`},
		{"window too long", map[string]string{"batchWindow": "301"}, `orderpipe:batchWindow="301": must be a whole number from 0 to 300 (seconds)`},
		{"window negative", map[string]string{"batchWindow": "-1"}, `orderpipe:batchWindow="-1": must be a whole number from 0 to 300 (seconds)`},
		{"concurrency one", map[string]string{"maxConcurrency": "1"}, `orderpipe:maxConcurrency="1": must be a whole number from 2 to 1000 (concurrent functions)`},
		{"concurrency too high", map[string]string{"maxConcurrency": "1001"}, `orderpipe:maxConcurrency="1001": must be a whole number from 2 to 1000 (concurrent functions)`},
		{"receive count zero", map[string]string{"maxReceiveCount": "0"}, `orderpipe:maxReceiveCount="0": must be a whole number from 1 to 1000 (receives)`},
		{"receive count too high", map[string]string{"maxReceiveCount": "1001"}, `orderpipe:maxReceiveCount="1001": must be a whole number from 1 to 1000 (receives)`},
		{"visibility below timeout", map[string]string{"lambdaTimeout": "60", "visibilityTimeout": "59"},
			`orderpipe:visibilityTimeout="59": must not be below lambdaTimeout (60s), or messages reappear while the function still runs; recommended: 6 × lambdaTimeout + batchWindow = 360s`},
		{"visibility above SQS maximum", map[string]string{"visibilityTimeout": "43201"}, `orderpipe:visibilityTimeout="43201": must be a whole number from 0 to 43200 (seconds (0 derives it))`},
		{"queue retention too short", map[string]string{"queueRetention": "59"}, `orderpipe:queueRetention="59": must be a whole number from 60 to 1209600 (seconds)`},
		{"dlq retention too long", map[string]string{"dlqRetention": "1209601"}, `orderpipe:dlqRetention="1209601": must be a whole number from 60 to 1209600 (seconds)`},
		{"dlq not longer than queue", map[string]string{"queueRetention": "86400", "dlqRetention": "86400"},
			`orderpipe:dlqRetention="86400": must be longer than queueRetention (86400s): a message keeps its first enqueue time when it moves to the dead-letter queue`},
		{"dlq default not longer than queue", map[string]string{"queueRetention": "1209600"},
			`orderpipe:dlqRetention=1209600 (the default, key not set): must be longer than queueRetention (1209600s): a message keeps its first enqueue time when it moves to the dead-letter queue`},
		{"log retention", map[string]string{"logRetentionDays": "10"}, `orderpipe:logRetentionDays="10": must be one of CloudWatch Logs' retention periods in days: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"log level", map[string]string{"logLevel": "verbose"}, `orderpipe:logLevel="verbose": must be one of debug, info, warn, error`},
		{"handler concurrency zero", map[string]string{"handlerConcurrency": "0"}, `orderpipe:handlerConcurrency="0": must be a whole number from 1 to 100 (records at once)`},
		{"handler concurrency too high", map[string]string{"handlerConcurrency": "101"}, `orderpipe:handlerConcurrency="101": must be a whole number from 1 to 100 (records at once)`},
		{"age alarm too low", map[string]string{"queueAgeAlarm": "59"}, `orderpipe:queueAgeAlarm="59": must be a whole number from 60 to 1209600 (seconds)`},
		{"boundary not an ARN", map[string]string{"permissionsBoundary": "orderpipe-ci-boundary"}, `orderpipe:permissionsBoundary="orderpipe-ci-boundary": must be the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/orderpipe-ci-boundary`},
		{"boundary a role", map[string]string{"permissionsBoundary": "arn:aws:iam::123456789012:role/x"}, `orderpipe:permissionsBoundary="arn:aws:iam::123456789012:role/x": must be the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/orderpipe-ci-boundary`},
		{"email", map[string]string{"alarmEmail": "not-an-address"}, `orderpipe:alarmEmail="not-an-address": must be a plain e-mail address such as ops@example.com`},
		{"email with a display name", map[string]string{"alarmEmail": "Ops <ops@example.com>"}, `orderpipe:alarmEmail="Ops <ops@example.com>": must be a plain e-mail address such as ops@example.com`},
		{"raw delivery", map[string]string{"rawMessageDelivery": "yes"}, `orderpipe:rawMessageDelivery="yes": must be true or false`},
		{"deletion protection", map[string]string{"deletionProtection": "on"}, `orderpipe:deletionProtection="on": must be true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadMap("dev", tt.config)
			var ce ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a ConfigError", err)
			}
			if len(ce) != 1 || ce[0].Error() != tt.want {
				t.Errorf("got %q\nwant [%s]", ce, tt.want)
			}
		})
	}
}

// A misspelt key is an error, with the key meant, rather than a default
// silently in force; other namespaces are not orderpipe's to judge.
func TestLoadConfigRejectsUnknownKeys(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]string
		want   string // the problems, one a line; "" when accepted
	}{
		{"typo, namespaced", map[string]string{"orderpipe:lambdaTimout": "5"}, `orderpipe:lambdaTimout="5": is not an orderpipe setting; did you mean lambdaTimeout?`},
		{"typo, bare", map[string]string{"batchsize": "5"}, `orderpipe:batchsize="5": is not an orderpipe setting; did you mean batchSize?`},
		{"nothing like a key", map[string]string{"orderpipe:colour": "red"}, `orderpipe:colour="red": is not an orderpipe setting; the settings are `},
		{"with a bad value", map[string]string{"orderpipe:lambdaMemory": "64", "orderpipe:memory": "256"},
			"orderpipe:lambdaMemory=\"64\": must be a whole number from 128 to 10240 (MB)\n  orderpipe:memory=\"256\": is not an orderpipe setting"},
		{"another namespace", map[string]string{"aws:region": "eu-west-1", "aws:profile": "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadMap("dev", tt.config)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v\nwant it to hold %s", err, tt.want)
			}
		})
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadMap("dev", map[string]string{
		"orderpipe:lambdaTimeout": "0", "orderpipe:lambdaMemory": "64", "orderpipe:architecture": "sparc",
		"orderpipe:batchSize": "50", "orderpipe:logLevel": "loud",
	})
	var ce ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want a ConfigError", err)
	}
	var keys []string
	for _, fe := range ce {
		keys = append(keys, fe.Key)
	}
	if got, want := strings.Join(keys, " "), "lambdaTimeout lambdaMemory architecture logLevel batchWindow"; got != want {
		t.Errorf("reported keys %q, want %q", got, want)
	}
	if !strings.HasPrefix(err.Error(), "invalid orderpipe configuration (5 problems):\n  orderpipe:lambdaTimeout=\"0\"") {
		t.Errorf("message %q does not list the problems one a line", err)
	}
}

// Every key that LoadConfig reads is documented in docs/configuration.md.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	LoadConfig("dev", func(key string) (string, bool) {
		read = append(read, key)
		return "", false
	}, nil)
	if len(read) < 17 {
		t.Fatalf("LoadConfig read only %v", read)
	}
	for _, key := range read {
		if !strings.Contains(string(readme), "| `"+key+"` |") {
			t.Errorf("docs/configuration.md has no table row for %s:%s", Namespace, key)
		}
	}
}
