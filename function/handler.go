package function

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Store keeps orders.
type Store interface {
	Put(ctx context.Context, o Order, payload []byte, messageID string) (Outcome, error)
}

// Handler processes batches from the order queue.
type Handler struct {
	Store Store
	Log   *slog.Logger
}

// Handle stores each order of the batch and reports the messages that must
// be delivered again. A message is left out of the failures only once its
// order is stored; everything else returns to the queue and, after the
// queue's maxReceiveCount, moves to the dead-letter queue. Nothing is
// acknowledged and lost.
func (h Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := h.handleRecord(ctx, rec); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (h Handler) handleRecord(ctx context.Context, rec events.SQSMessage) (err error) {
	start := time.Now()
	log := h.Log.With("messageId", rec.MessageId)
	defer func() {
		// One bad record must not fail its neighbours.
		if r := recover(); r != nil {
			err = errors.New("panic while handling the record")
			log.ErrorContext(ctx, "record failed", "outcome", "failed", "panic", r)
		}
	}()

	o, payload, err := ParseOrder(rec.Body)
	if err != nil {
		log.WarnContext(ctx, "order rejected", "outcome", "rejected", "error", err.Error())
		return err
	}
	log = log.With("orderId", o.OrderID)
	outcome, err := h.Store.Put(ctx, o, payload, rec.MessageId)
	if err != nil {
		log.ErrorContext(ctx, "order not stored", "outcome", "failed", "error", err.Error(), "duration", time.Since(start))
		return err
	}
	log.InfoContext(ctx, "order processed", "outcome", string(outcome), "duration", time.Since(start))
	return nil
}
