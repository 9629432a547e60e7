package iso4217

import "testing"

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
