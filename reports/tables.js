// Sorting and filtering for the report's tables, inlined into every page and allowed by the
// page's Content-Security-Policy through its SHA-256 hash. It only enhances: the HTML already
// holds every row, so without scripts (or when printed) every table is complete. The pages are
// also well-formed XML (tests parse them), so this file holds no less-than sign or ampersand.
(function () {
  "use strict";
  // Tables with at least this many rows below the header get a filter box; every table with a
  // header row and two rows or more can be sorted.
  var filterFrom = 8;
  var numberPattern = /^[\u003c>≤≥~×x]?\s*([-+−]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(?:%|×|x)?$/i;

  function text(cell) {
    return (cell ? cell.textContent : "").replace(/\s+/g, " ").trim();
  }

  // A cell's value as a number, or null: thousands separators and a leading comparison or
  // trailing percent sign are allowed, so "1,204", "12.5%", "≤ 0.001" and "×2.40" sort as numbers.
  function number(value) {
    var match = numberPattern.exec(value.replace(/[,\u202f\u2009\u00a0]/g, ""));
    if (!match) return null;
    var parsed = parseFloat(match[1].replace("−", "-"));
    return isFinite(parsed) ? parsed : null;
  }

  // Empty cells and placeholders sort last in both directions.
  function blank(value) {
    return value === "" || value === "–" || value === "—" || value === "-";
  }

  function enhance(table, index) {
    if (table.classList.contains("summary")) return;
    var head = table.rows[0];
    if (!head || head.cells.length === 0) return;
    for (var c = 0; head.cells.length > c; c++) {
      if (head.cells[c].tagName !== "TH") return;
    }
    var rows = Array.prototype.slice.call(table.rows, 1).filter(function (row) {
      return row.cells.length === head.cells.length;
    });
    if (2 > rows.length || rows.length !== table.rows.length - 1) return;
    var parent = rows[0].parentNode;
    // One entry per row: its place in the report's own order and its text for the filter.
    var entries = rows.map(function (row, rank) {
      var cells = Array.prototype.map.call(row.cells, text);
      return { row: row, rank: rank, haystack: cells.join(" ").toLowerCase() };
    });
    var sorted = { column: -1, descending: false };

    Array.prototype.forEach.call(head.cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      // The whole header cell answers a click (a short header in a tall row leaves most of
      // the cell outside the button); the button gives keyboards a way in, and its click bubbles.
      th.addEventListener("click", function () {
        var descending = sorted.column === column ? !sorted.descending : false;
        sortBy(column, descending);
      });
    });

    function sortBy(column, descending) {
      var values = entries.map(function (entry) {
        return text(entry.row.cells[column]);
      });
      var numbers = values.map(function (value) {
        return blank(value) ? null : number(value);
      });
      var numeric = values.every(function (value, position) {
        return blank(value) || numbers[position] !== null;
      });
      var keyed = entries.map(function (entry, position) {
        return {
          entry: entry,
          empty: blank(values[position]),
          key: numeric ? numbers[position] : values[position],
        };
      });
      var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
      keyed.sort(function (a, b) {
        if (a.empty !== b.empty) return a.empty ? 1 : -1;
        var result = 0;
        if (!a.empty) result = numeric ? a.key - b.key : collator.compare(a.key, b.key);
        if (descending) result = -result;
        // Equal keys keep the report's own order.
        return result !== 0 ? result : a.entry.rank - b.entry.rank;
      });
      entries = keyed.map(function (item) {
        return item.entry;
      });
      var fragment = document.createDocumentFragment();
      entries.forEach(function (entry) {
        fragment.appendChild(entry.row);
      });
      parent.appendChild(fragment);
      sorted = { column: column, descending: descending };
      Array.prototype.forEach.call(head.cells, function (th, other) {
        th.setAttribute(
          "aria-sort",
          other !== column ? "none" : descending ? "descending" : "ascending"
        );
      });
    }

    if (filterFrom > rows.length) return;
    var box = document.createElement("p");
    box.className = "filter";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.id = "filter-" + index;
    input.setAttribute("autocomplete", "off");
    label.htmlFor = input.id;
    label.textContent = "Filter rows: ";
    var status = document.createElement("output");
    status.setAttribute("for", input.id);
    status.setAttribute("aria-live", "polite");
    status.textContent = rows.length + " rows";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(status);
    table.parentNode.insertBefore(box, table);

    // Every word typed must appear in the row (its cells' texts joined by spaces), ignoring case.
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(function (word) {
        return word !== "";
      });
      var shown = 0;
      entries.forEach(function (entry) {
        var keep = words.every(function (word) {
          return entry.haystack.indexOf(word) !== -1;
        });
        entry.row.hidden = !keep;
        if (keep) shown += 1;
      });
      status.textContent =
        words.length === 0 ? rows.length + " rows" : shown + " of " + rows.length + " rows";
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table"), enhance);
})();
