package function

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the handler's metrics.
const MetricsNamespace = "orderpipe"

// EMF writes one CloudWatch Embedded Metric Format line per batch: the count
// of each outcome. CloudWatch turns the log line into metrics, so the
// function makes no CloudWatch API call.
type EMF struct {
	W            io.Writer
	Namespace    string
	FunctionName string

	mu sync.Mutex // one line per Write, never interleaved
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Record writes the counts of one batch. Every outcome is written, zeros
// included, so that the metrics have no gaps.
func (m *EMF) Record(at time.Time, counts Counts) error {
	line := map[string]any{"FunctionName": m.FunctionName}
	outcomes := Outcomes()
	metrics := make([]emfMetric, len(outcomes))
	for i, o := range outcomes {
		name := o.MetricName()
		metrics[i] = emfMetric{Name: name, Unit: "Count"}
		line[name] = counts[o]
	}
	line["_aws"] = emfMeta{
		Timestamp: at.UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  m.Namespace,
			Dimensions: [][]string{{"FunctionName"}},
			Metrics:    metrics,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.W.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
