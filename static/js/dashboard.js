/* The dashboard's charts (Chart.js), drawn from the data-* attributes of each canvas:
   data-chart (bar, hbar or doughnut), data-labels, data-values and data-links (JSON lists:
   a bar or a slice leads to the list behind it) and data-series (the values' name).
   Persian pages run right to left and write numbers in Persian digits (the page's language
   is Chart.js's locale). Each chart has a table after it with the same figures and links. */
(function () {
  "use strict";

  var Chart = window.Chart;
  if (!Chart) {
    return;
  }
  var root = document.documentElement;
  var rtl = root.dir === "rtl";
  var locale = root.lang || "en";
  var style = getComputedStyle(document.body);
  var numbers = new Intl.NumberFormat(locale);
  var COLORS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545",
                "#0dcaf0", "#ffc107", "#6c757d", "#d63384", "#6610f2", "#adb5bd", "#343a40"];

  Chart.defaults.font.family = style.fontFamily;
  Chart.defaults.color = style.color;
  Chart.defaults.animation = false;

  function read(canvas, name) {
    try {
      return JSON.parse(canvas.dataset[name] || "[]");
    } catch (error) {
      return [];
    }
  }

  function draw(canvas) {
    var kind = canvas.dataset.chart;
    var labels = read(canvas, "labels");
    var values = read(canvas, "values");
    var links = read(canvas, "links");
    var round = kind === "doughnut";
    var across = kind === "hbar"; // bars lying down: the labels are long names
    var options = {
      locale: locale,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: round, position: "bottom", rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
      },
      onClick: function (event, elements) {
        if (elements.length && links[elements[0].index]) {
          window.location.href = links[elements[0].index];
        }
      },
      onHover: function (event, elements) {
        canvas.style.cursor = elements.length ? "pointer" : "default";
      },
    };
    if (!round) {
      options.indexAxis = across ? "y" : "x";
      // every number in the page's digits (Chart.js writes a zero tick as a Latin "0")
      var valueAxis = {
        beginAtZero: true,
        ticks: { precision: 0, callback: function (value) { return numbers.format(value); } },
      };
      var labelAxis = { ticks: { autoSkip: false } };
      // Right to left: time and the order of the stages run from the right, and the names
      // of lying bars stand on the right.
      if (across) {
        options.scales = {
          x: Object.assign(valueAxis, { reverse: rtl }),
          y: Object.assign(labelAxis, { position: rtl ? "right" : "left" }),
        };
      } else {
        options.scales = {
          x: Object.assign(labelAxis, { reverse: rtl }),
          y: Object.assign(valueAxis, { position: rtl ? "right" : "left" }),
        };
      }
    }
    return new Chart(canvas, {
      type: round ? "doughnut" : "bar",
      data: {
        labels: labels,
        datasets: [{
          label: canvas.dataset.series,
          data: values,
          backgroundColor: round ? COLORS.slice(0, values.length) : COLORS[0],
        }],
      },
      options: options,
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
