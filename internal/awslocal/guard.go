package awslocal

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxMessageBytes is the largest message body SQS and SNS take.
const MaxMessageBytes = 256 << 10

// refuseInvalid makes goaws refuse, as SQS and SNS do, a message body they
// could not hold: one over MaxMessageBytes, or with a character outside the
// XML character ranges SQS allows (invalid UTF-8 among them). goaws accepts
// any bytes and then cannot return them intact: the receive fails the SDK's
// MD5 check, and every message of that receive with it.
func refuseInvalid(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		for key, values := range form {
			if !messageField(form.Get("Action"), key) {
				continue
			}
			for _, v := range values {
				if code, msg := checkMessage(v); code != "" {
					writeQueryError(w, code, msg)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// messageField reports whether the form field is a message body of the
// action: SQS's MessageBody (also in a batch entry) or SNS's Message.
func messageField(action, key string) bool {
	switch action {
	case "SendMessage":
		return key == "MessageBody"
	case "SendMessageBatch":
		return strings.HasPrefix(key, "SendMessageBatchRequestEntry.") && strings.HasSuffix(key, ".MessageBody")
	case "Publish":
		return key == "Message"
	}
	return false
}

// checkMessage returns the AWS error code and message for a body SQS would
// refuse, or "" for one it takes.
func checkMessage(s string) (code, msg string) {
	if len(s) > MaxMessageBytes {
		return "InvalidParameterValue", fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", MaxMessageBytes)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "InvalidMessageContents", notUTF8("message", i)
		}
		if !sqsChar(r) {
			return "InvalidMessageContents", disallowedChar(r)
		}
		i += size
	}
	return "", ""
}

// notUTF8 and disallowedChar are SQS's messages for InvalidMessageContents.
func notUTF8(what string, at int) string {
	return fmt.Sprintf("Invalid binary character: the %s is not valid UTF-8 at byte %d", what, at)
}

func disallowedChar(r rune) string {
	return fmt.Sprintf("Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r)
}

func sqsChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func writeQueryError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(msg))
	fmt.Fprintf(w, `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message><Detail/></Error><RequestId>%s</RequestId></ErrorResponse>`, code, esc.String(), requestID)
}
