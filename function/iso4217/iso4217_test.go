package iso4217

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The cases are ISO 4217's own table (List One, and List Three for the
// withdrawn codes), not the package's data: they would fail on a table that
// took its minor units from CLDR or missed an amendment.
func TestListOne(t *testing.T) {
	for _, tc := range []struct {
		code  string
		units int
		why   string
	}{
		// Added by amendments 2018–2024.
		{"MRU", 2, "Mauritania, 2018 (replaced MRO)"},
		{"STN", 2, "São Tomé and Príncipe, 2018 (replaced STD)"},
		{"VES", 2, "Venezuela, 2018 (replaced VEF)"},
		{"UYW", 4, "Uruguay's Unidad Previsional, 2018"},
		{"VED", 2, "Venezuela's digital bolívar, 2021"},
		{"SLE", 2, "Sierra Leone, 2022"},
		{"ZWG", 2, "Zimbabwe Gold, 2024"},
		// Where CLDR's cash or accounting digits differ from ISO's minor unit.
		{"IQD", 3, "CLDR: 0"},
		{"AFN", 2, "CLDR: 0"},
		{"ALL", 2, "CLDR: 0"},
		{"RSD", 2, "CLDR: 0"},
		{"LBP", 2, "CLDR: 0"},
		{"IRR", 2, "CLDR: 0"},
		{"MMK", 2, "CLDR: 0"},
		{"YER", 2, "CLDR: 0"},
		{"LAK", 2, "CLDR: 0"},
		{"MGA", 2, "CLDR: 0"},
		{"SOS", 2, "CLDR: 0"},
		{"SYP", 2, "CLDR: 0"},
		{"KPW", 2, "CLDR: 0"},
		// Every minor unit ISO uses: 0, 2, 3 and 4.
		{"JPY", 0, ""}, {"KRW", 0, ""}, {"ISK", 0, ""}, {"CLP", 0, ""}, {"VND", 0, ""}, {"XOF", 0, ""}, {"UYI", 0, "a funds code"},
		{"EUR", 2, ""}, {"USD", 2, ""}, {"CHF", 2, ""},
		{"BHD", 3, ""}, {"JOD", 3, ""}, {"KWD", 3, ""}, {"LYD", 3, ""}, {"OMR", 3, ""}, {"TND", 3, ""},
		{"CLF", 4, "a funds code"},
		// Codes ISO gives no minor unit.
		{"XAU", NoMinorUnit, "gold"}, {"XAG", NoMinorUnit, "silver"}, {"XPT", NoMinorUnit, "platinum"}, {"XPD", NoMinorUnit, "palladium"},
		{"XDR", NoMinorUnit, "SDR"}, {"XTS", NoMinorUnit, "testing"}, {"XXX", NoMinorUnit, "no currency"},
		{"XBA", NoMinorUnit, "bond markets"}, {"XBD", NoMinorUnit, "bond markets"},
	} {
		c, ok := Lookup(tc.code)
		if !ok {
			t.Errorf("%s (%s) is not in List One", tc.code, tc.why)
			continue
		}
		if c.MinorUnits != tc.units {
			t.Errorf("%s (%s): %d minor units, want %d", tc.code, tc.why, c.MinorUnits, tc.units)
		}
	}
}

func TestFundCodes(t *testing.T) {
	for _, code := range []string{"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI"} {
		if c, ok := Lookup(code); !ok || !c.Fund {
			t.Errorf("%s: %+v, %v; want a funds code of List One", code, c, ok)
		}
	}
	for _, code := range []string{"EUR", "BOB", "CHF", "UYU", "XDR"} {
		if c, _ := Lookup(code); c.Fund {
			t.Errorf("%s is marked a funds code", code)
		}
	}
}

// Codes of List Three (withdrawn), each with its withdrawal: none is current.
func TestWithdrawnCodesAreNotInListOne(t *testing.T) {
	for code, when := range map[string]string{
		"DEM": "2002-03, euro", "FRF": "2002-02, euro", "ITL": "2002-03, euro", "HRK": "2023-01, euro",
		"LTL": "2015-01, euro", "EEK": "2011-01, euro", "XEU": "1999-01, euro", "VEF": "2018-08, VES",
		"MRO": "2017-12, MRU", "STD": "2017-12, STN", "BYR": "2017-01, BYN", "ZWL": "2024-09, ZWG",
		"ZWD": "2008-08", "SKK": "2009-01, euro", "CYP": "2008-01, euro", "ESP": "2002-03, euro",
	} {
		if c, ok := Lookup(code); ok {
			t.Errorf("%s (withdrawn %s) is in the table: %+v", code, when, c)
		}
	}
}

func TestLookupIsExact(t *testing.T) {
	for _, s := range []string{"", "eur", "Eur", "EURO", "EU", " EUR", "EUR ", "€"} {
		if _, ok := Lookup(s); ok {
			t.Errorf("Lookup(%q) found a currency", s)
		}
	}
}

func TestSourceIsRecorded(t *testing.T) {
	if SourcePackage == "" || SourceVersion == "" || len(Published) != len("2006-01-02") {
		t.Errorf("source %q@%q, published %q", SourcePackage, SourceVersion, Published)
	}
	if n := len(listOne); n < 150 || n > 200 {
		t.Errorf("List One has %d codes; ISO publishes about 180", n)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Changes after List One of 2024-06-25, each from its own document, not
// from the table: ISO 4217 amendment 176 (XCG, minor unit 2, for Curaçao
// and Sint Maarten from 2025-03-31, replacing ANG, which stops being legal
// tender by 2025-07-01) and Bulgaria's adoption of the euro on 2026-01-01
// (the lev, BGN, refused once its use has ended).
func TestChangesSinceListOne(t *testing.T) {
	for _, tc := range []struct {
		code, on string
		units    int    // when current
		gone     string // when withdrawn: a code that replaced it
	}{
		{code: "XCG", on: "2025-04-01", units: 2},
		{code: "XCG", on: "2026-11-30", units: 2},
		{code: "ANG", on: "2025-03-01", units: 2},
		{code: "ANG", on: "2025-07-01", gone: "XCG"},
		{code: "ANG", on: "2026-11-30", gone: "XCG"},
		{code: "BGN", on: "2025-12-31", units: 2},
		{code: "BGN", on: "2026-03-01", gone: "EUR"},
		{code: "EUR", on: "2026-11-30", units: 2},
	} {
		c, err := At(tc.code, day(tc.on))
		var w *WithdrawnError
		switch {
		case tc.gone == "" && err != nil:
			t.Errorf("%s on %s: %v; want current", tc.code, tc.on, err)
		case tc.gone == "" && c.MinorUnits != tc.units:
			t.Errorf("%s on %s: %d minor units, want %d", tc.code, tc.on, c.MinorUnits, tc.units)
		case tc.gone != "" && !errors.As(err, &w):
			t.Errorf("%s on %s: %+v, %v; want withdrawn", tc.code, tc.on, c, err)
		case tc.gone != "" && !slices.Contains(w.ReplacedBy, tc.gone):
			t.Errorf("%s on %s: %v; want replaced by %s", tc.code, tc.on, err, tc.gone)
		case tc.gone != "" && w.Ended >= tc.on:
			t.Errorf("%s on %s: %v; want it ended before", tc.code, tc.on, err)
		}
	}
	// Before its introduction XCG is no currency yet.
	if c, err := At("XCG", day("2025-03-01")); err == nil {
		t.Errorf("XCG on 2025-03-01: %+v, want an error", c)
	}
}

// Codes of List Three, each with what replaced it where it was used (the
// ISO amendments that withdrew them): a refusal can name the replacement.
func TestWithdrawnCodesNameTheirReplacement(t *testing.T) {
	for code, by := range map[string]string{
		"DEM": "EUR", "FRF": "EUR", "ESP": "EUR", "ITL": "EUR", "HRK": "EUR", "LTL": "EUR", "EEK": "EUR",
		"SKK": "EUR", "CYP": "EUR", "MRO": "MRU", "STD": "STN", "VEF": "VES", "BYR": "BYN", "ZWL": "ZWG",
		"SLL": "SLE", "ZMK": "ZMW", "GHC": "GHS", "TRL": "TRY",
		// Used in a country whose code was withdrawn too (DD, YD, ZR;
		// CLDR's territory aliases say which took its place), or replaced
		// after a gap that CLDR does not fill (UA 1993-1996, GQ 1986-1993).
		"DDM": "DEM", "YDD": "YER", "ZRN": "CDF", "UAK": "UAH", "GQE": "XAF",
	} {
		_, err := At(code, day("2026-11-30"))
		var w *WithdrawnError
		if !errors.As(err, &w) {
			t.Errorf("%s: %v; want withdrawn", code, err)
			continue
		}
		if !slices.Contains(w.ReplacedBy, by) || w.Ended == "" || len(w.Regions) == 0 {
			t.Errorf("%s: %+v; want an end date, where, and replaced by %s", code, w, by)
		}
		if msg := err.Error(); !strings.Contains(msg, w.Ended) || !strings.Contains(msg, by) {
			t.Errorf("%s: %q does not say when and by what", code, msg)
		}
	}
}

// List One as published stays the authority up to its date: a code it
// lists is current unless it went out of use after that date.
func TestListOneCodesStayCurrent(t *testing.T) {
	now := day("2026-11-30")
	for code, c := range listOne {
		got, err := At(code, now)
		var w *WithdrawnError
		switch {
		case errors.As(err, &w):
			if w.Ended < Published {
				t.Errorf("%s: withdrawn on %s, before List One of %s listed it", code, w.Ended, Published)
			}
		case err != nil:
			t.Errorf("%s: %v", code, err)
		case got != c:
			t.Errorf("%s: %+v, want List One's %+v", code, got, c)
		}
	}
}

func TestAtRefusesUnknownCodes(t *testing.T) {
	// XAD (2025) is a unit of account, legal tender nowhere; CNH is no ISO code.
	for _, code := range []string{"", "ABC", "eur", "XAD", "CNH"} {
		c, err := At(code, day("2026-11-30"))
		var w *WithdrawnError
		if err == nil || errors.As(err, &w) {
			t.Errorf("At(%q) = %+v, %v; want unknown", code, c, err)
		}
	}
}
