package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLine is the longest line of an orders file passed on whole: more than
// any message can be (SNS and SQS take 256 KiB), so that what the stand-ins
// must judge reaches them whole, and bounded, so that a huge line costs no
// more memory than this.
const maxLine = 1 << 20

// OrderLine is one order of an orders file.
type OrderLine struct {
	Number int    // the line's number in the file, from 1
	Text   string // the line without its end and the JSON whitespace around it, at most maxLine bytes
	Size   int    // the line's length: more than len(Text) when Text was cut at maxLine
}

// jsonSpace is JSON's whitespace (RFC 8259 section 2). Only it is taken off
// a line: any other character (U+00A0, U+0085, U+3000…) is part of what is
// sent, so that a line the handler would refuse is not made valid here.
const jsonSpace = " \t\r\n"

// bom is UTF-8's byte order mark: at the start of a file it marks the
// encoding and is no part of the first order (RFC 8259 section 8.1 lets a
// parser ignore it); anywhere else it is sent as it is.
const bom = "\ufeff"

// OrderLines calls fn with each line of r that holds more than JSON
// whitespace. Lines end at LF, or CRLF; a line longer than maxLine is cut
// there and the file read on.
func OrderLines(r io.Reader, fn func(OrderLine) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		buf = buf[:0]
		size, end := 0, 0
		var err error
		for {
			var frag []byte
			frag, err = br.ReadSlice('\n')
			size += len(frag)
			if room := maxLine + 2 - len(buf); room > 0 {
				buf = append(buf, frag[:min(len(frag), room)]...)
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				if bytes.HasSuffix(frag, []byte("\n")) {
					end = 1
					if bytes.HasSuffix(frag, []byte("\r\n")) {
						end = 2
					}
				}
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if n == 1 {
			if b := bytes.TrimPrefix(buf, []byte(bom)); len(b) < len(buf) {
				buf, size = b, size-len(bom)
			}
		}
		size -= end
		var l OrderLine
		if size > maxLine {
			l = OrderLine{Number: n, Text: string(bytes.TrimLeft(buf[:maxLine], jsonSpace)), Size: size}
		} else {
			t := bytes.Trim(buf, jsonSpace)
			l = OrderLine{Number: n, Text: string(t), Size: len(t)}
		}
		if l.Text != "" {
			if ferr := fn(l); ferr != nil {
				return ferr
			}
		}
		if err != nil { // io.EOF
			return nil
		}
	}
}
