package ops

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// memQueues are SQS queues in memory, with injected failures.
type memQueues struct {
	queues     map[string][]string // url → bodies
	failSend   bool
	failDelete bool
	received   map[string]string // receipt → url
	released   int
}

func (m *memQueues) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	url := aws.ToString(in.QueueUrl)
	var out sqs.ReceiveMessageOutput
	for i, b := range m.queues[url] {
		receipt := fmt.Sprint(url, "#", i)
		if _, taken := m.received[receipt]; taken {
			continue
		}
		m.received[receipt] = url
		sum := md5.Sum([]byte(b)) // as SQS sends it with every message
		out.Messages = append(out.Messages, types.Message{MessageId: aws.String(fmt.Sprint("m", i)), Body: aws.String(b), ReceiptHandle: aws.String(receipt),
			MD5OfBody: aws.String(hex.EncodeToString(sum[:]))})
	}
	return &out, nil
}

func (m *memQueues) ChangeMessageVisibility(context.Context, *sqs.ChangeMessageVisibilityInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	m.released++
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (m *memQueues) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if m.failSend {
		return nil, errors.New("send refused")
	}
	url := aws.ToString(in.QueueUrl)
	m.queues[url] = append(m.queues[url], aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

func (m *memQueues) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	if m.failDelete {
		return nil, errors.New("delete refused")
	}
	receipt := aws.ToString(in.ReceiptHandle)
	url := m.received[receipt]
	var i int
	fmt.Sscanf(receipt[strings.LastIndex(receipt, "#")+1:], "%d", &i)
	m.queues[url][i] = "" // deleted
	return &sqs.DeleteMessageOutput{}, nil
}

func (m *memQueues) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return &sqs.GetQueueAttributesOutput{}, nil
}

func (m *memQueues) live(url string) []string {
	var out []string
	for _, b := range m.queues[url] {
		if b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Redrive never loses a message: a failed send leaves it in the DLQ, a
// failed delete leaves it in both queues.
func TestRedriveLosesNothing(t *testing.T) {
	tests := []struct {
		name                 string
		failSend, failDelete bool
		dlq, queue           int
		err                  string
	}{
		{"moves", false, false, 0, 2, ""},
		{"send fails", true, false, 2, 0, "send: send refused (it stays in the dead-letter queue)"},
		{"delete fails", false, true, 2, 1, "sent, but not deleted from the dead-letter queue"},
	}
	for _, tt := range tests {
		m := &memQueues{queues: map[string][]string{"dlq": {"a", "b"}}, received: map[string]string{}, failSend: tt.failSend, failDelete: tt.failDelete}
		_, err := Redrive(context.Background(), m, "dlq", "queue", false)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
		if len(m.live("dlq")) != tt.dlq || len(m.live("queue")) != tt.queue {
			t.Errorf("%s: dlq %v, queue %v", tt.name, m.live("dlq"), m.live("queue"))
		}
	}
}

// TakeDeadLetters deletes a message only once it is kept: a failed keep
// leaves it in the DLQ, a failed delete leaves it in both places.
func TestTakeDeadLettersLosesNothing(t *testing.T) {
	tests := []struct {
		name                 string
		failKeep, failDelete bool
		kept, dlq, taken     int
		err                  string
	}{
		{"takes", false, false, 2, 0, 2, ""},
		{"keep fails", true, false, 0, 2, 0, "keep m0: disk full"},
		{"delete fails", false, true, 2, 2, 0, "kept m1, but not deleted from the dead-letter queue: delete refused"},
	}
	for _, tt := range tests {
		m := &memQueues{queues: map[string][]string{"dlq": {"a", "b"}}, received: map[string]string{}, failDelete: tt.failDelete}
		var kept []string
		taken, err := TakeDeadLetters(context.Background(), m, "dlq", func(d DeadLetter) error {
			if tt.failKeep {
				return errors.New("disk full")
			}
			kept = append(kept, d.Body)
			return nil
		})
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
		if len(kept) != tt.kept || len(m.live("dlq")) != tt.dlq || taken != tt.taken {
			t.Errorf("%s: kept %v, dlq %v, taken %d", tt.name, kept, m.live("dlq"), taken)
		}
	}
}

func TestDryRunMovesNothing(t *testing.T) {
	m := &memQueues{queues: map[string][]string{"dlq": {"a", "b"}}, received: map[string]string{}}
	listed, err := Redrive(context.Background(), m, "dlq", "queue", true)
	if err != nil || len(listed) != 2 || len(m.live("dlq")) != 2 || len(m.live("queue")) != 0 || m.released != 2 {
		t.Errorf("dry run: %v %v, dlq %v, queue %v, released %d", listed, err, m.live("dlq"), m.live("queue"), m.released)
	}
}

// movingQueues run message-move tasks, as SQS does.
type movingQueues struct {
	memQueues
	started bool
}

func (m *movingQueues) StartMessageMoveTask(_ context.Context, in *sqs.StartMessageMoveTaskInput, _ ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error) {
	m.started = true
	return &sqs.StartMessageMoveTaskOutput{TaskHandle: aws.String("h1")}, nil
}

func (m *movingQueues) ListMessageMoveTasks(context.Context, *sqs.ListMessageMoveTasksInput, ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error) {
	return &sqs.ListMessageMoveTasksOutput{Results: []types.ListMessageMoveTasksResultEntry{
		{TaskHandle: aws.String("h1"), Status: aws.String("COMPLETED"), ApproximateNumberOfMessagesMoved: 2}}}, nil
}

func TestMoveTask(t *testing.T) {
	m := &movingQueues{}
	n, err := MoveTask(context.Background(), m, "arn:aws:sqs:eu-west-1:1:dlq", time.Minute)
	if err != nil || n != 2 || !m.started {
		t.Errorf("moved %d, %v", n, err)
	}
}
