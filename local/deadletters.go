package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/orderpipe/orderpipe/function"
	"github.com/orderpipe/orderpipe/ops"
)

// deadLetters moves each message that reaches the dead-letter queue into a
// file as it arrives, and tallies it for the report. goaws holds a queue's
// messages in this process's memory, a few KB each, so a run whose orders
// end in the DLQ by the thousand would grow with them; the file holds
// every dead letter, with why it is there, one JSON object a line, and a
// message leaves the queue only once it is written (ops.TakeDeadLetters).
type deadLetters struct {
	p      *Pipeline
	f      *os.File
	remove bool // the file is a temporary one: Close removes it

	mu      sync.Mutex
	keep    int
	letters Section[DeadLetter]
	copies  int             // further copies of a message sent to the queue
	stored  int             // moved messages whose order the table holds as stored by them
	sent    map[string]bool // by the message sent to the queue, as a dead letter's original
	kept    map[string]bool // by message id: a kept message whose delete failed comes again

	stop chan struct{}
	done chan struct{}
}

// KeepDeadLetters starts moving the dead-letter queue's messages into the
// file at path as they arrive, keeping the first ReportLines of them for the
// report, or all with all. With path "" the file is a temporary one that
// Close removes. BuildReport starts it when nothing did, to list the queue.
// A run served for other clients (--serve) leaves the queue alone.
func (p *Pipeline) KeepDeadLetters(path string, all bool) error {
	if p.dead != nil {
		return errors.New("the dead-letter queue is kept already")
	}
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "orderpipe-local-deadletters-*.jsonl")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return fmt.Errorf("keep dead letters: %w", err)
	}
	d := &deadLetters{p: p, f: f, remove: path == "", keep: ReportLines,
		sent: map[string]bool{}, kept: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	if all {
		d.keep = -1
	}
	p.dead = d
	go d.run()
	return nil
}

// run takes what reaches the queue until stopped. It is stopped between
// receives, never during one: a receive cut short can leave messages in
// flight, out of sight, for the queue's visibility timeout.
func (d *deadLetters) run() {
	defer close(d.done)
	for {
		if _, err := ops.TakeDeadLetters(context.Background(), d.p.SQS, d.p.DLQURL, d.take); err != nil {
			d.p.log.Warn("keeping the dead-letter queue", "err", err)
		}
		select {
		case <-d.stop:
			return
		case <-time.After(sqsTick):
		}
	}
}

// take writes one message to the file and tallies it.
func (d *deadLetters) take(m ops.DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kept[m.MessageID] {
		return nil
	}
	l := DeadLetter{m, d.p.why(m)}
	storedToo := d.p.storedByItself(m)
	if storedToo {
		l.Why += "; its order is stored, by this message (a delivery whose write landed before its invocation failed): counted as stored"
	}
	line, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := d.f.Write(append(line, '\n')); err != nil {
		return err
	}
	d.kept[m.MessageID] = true
	if m.Moved() {
		d.p.Outcomes.Forget(m.MessageID)
	}
	// One message sent to the queue is one dead letter: the handler's
	// copies of it (one a delivery that rejected it without its delete)
	// and the message itself, when SQS moved it after them, are further
	// copies.
	sent := m.OriginalMessageID
	if sent == "" {
		sent = m.MessageID
	}
	if storedToo {
		d.sent[sent] = true
		d.stored++
		return nil
	}
	if d.sent[sent] {
		d.copies++
		return nil
	}
	d.sent[sent] = true
	d.letters.add(l, d.keep)
	return nil
}

// count is how many dead letters were taken out of the queue.
func (d *deadLetters) count() int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.kept)
}

// halt stops run and waits for it.
func (d *deadLetters) halt() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	<-d.done
}

// finish stops taking in the background and takes what the queue still
// holds. A message that another receive holds (one whose answer was lost,
// and which the SDK retried) is visible again after the queue's visibility
// timeout, so a queue not empty is taken from again once that has passed;
// what it still holds then is said, not counted lost in silence. A round
// after which the queue holds nothing has put every message in the file:
// its errors (a delete whose answer was lost) are logged, not unread.
func (d *deadLetters) finish(ctx context.Context) (Section[DeadLetter], int, int, []string) {
	d.halt()
	take := func() (held int, errs []string) {
		if _, err := ops.TakeDeadLetters(ctx, d.p.SQS, d.p.DLQURL, d.take); err != nil {
			errs = append(errs, err.Error())
		}
		// goaws counts the messages in flight in the queue's depth, AWS
		// apart from it: either way, held is 0 only when both are.
		held, err := ops.Depth(ctx, d.p.SQS, d.p.DLQURL)
		if err == nil && held == 0 {
			held, err = ops.InFlight(ctx, d.p.SQS, d.p.DLQURL)
		}
		if err != nil {
			return -1, append(errs, fmt.Sprintf("the dead-letter queue's depth: %v", err))
		}
		return held, errs
	}
	held, errs := take()
	if held > 0 {
		wait, err := ops.VisibilityTimeout(ctx, d.p.SQS, d.p.DLQURL)
		if err != nil {
			errs = append(errs, err.Error())
		}
		wait += 2 * sqsTick // goaws makes them visible on its next tick
		d.p.log.Warn("taking from the dead-letter queue again once the messages in flight are visible", "holds", held, "wait", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		var again []string
		held, again = take()
		errs = append(errs, again...)
		if held > 0 {
			errs = append(errs, fmt.Sprintf("%d of the dead-letter queue's messages could not be received", held))
		}
	}
	var unread []string
	if held != 0 {
		unread = errs
	} else {
		for _, e := range errs {
			d.p.log.Warn("keeping the dead-letter queue; every message is in the file", "err", e)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.letters
	l.First = append([]DeadLetter(nil), l.First...)
	return l, d.copies, d.stored, unread
}

// close stops taking and closes the file, removing a temporary one.
func (d *deadLetters) close() error {
	d.halt()
	err := d.f.Close()
	if d.remove {
		err = errors.Join(err, os.Remove(d.f.Name()))
	}
	return err
}

// storedByItself reports whether SQS moved the message to the dead-letter
// queue while the table holds its order as stored by it: a write can land
// and its invocation still fail (time out), on every delivery. The order is
// the one the handler logged for the message, or else its body's (raw
// delivery); one that cannot be told or read stays a dead letter, so that
// the report counts an order too many rather than one too few.
func (p *Pipeline) storedByItself(m ops.DeadLetter) bool {
	if !m.Moved() || m.Altered {
		return false
	}
	pending, _ := p.Outcomes.Pending(m.MessageID)
	orderID := pending.Last.OrderID
	if orderID == "" {
		orderID = pending.Decided.OrderID
	}
	if orderID == "" {
		o, err := function.ParseOrder(m.Body)
		if err != nil {
			return false
		}
		orderID = o.OrderID
	}
	by, err := p.storedBy(context.Background(), orderID)
	return err == nil && by == m.MessageID
}

// why says why a message is in the dead-letter queue.
func (p *Pipeline) why(d ops.DeadLetter) string {
	switch {
	case d.Altered:
		return "its body came back altered from the queue (MD5 differs); the body below is not what was sent"
	case d.Moved():
		o, _ := p.Outcomes.Pending(d.MessageID)
		return movedWhy(o, p.Config.MaxReceiveCount)
	}
	return "rejected by the handler: " + d.Reason
}

// movedWhy says why SQS moved a message to the dead-letter queue.
func movedWhy(o Pending, maxReceiveCount int) string {
	why := fmt.Sprintf("moved by SQS after %d failed deliveries (maxReceiveCount %d); last outcome %s: %s",
		o.Deliveries, maxReceiveCount, o.Last.Outcome, o.Last.Error)
	if o.Last.Outcome == "failed" && o.Decided.Outcome != "" {
		why += fmt.Sprintf("; before it %s: %s", o.Decided.Outcome, o.Decided.Error)
	}
	return why
}
