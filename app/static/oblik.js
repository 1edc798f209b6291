// Oblik: related-record pickers that search the server as you type (select2 + /lookup/<name>/).
$(function () {
  $("select.oblik-ajax").each(function () {
    var el = $(this);
    el.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: el.data("allow-clear") === true || el.data("allow-clear") === "true",
      placeholder: el.data("placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; },
        processResults: function (data) { return data; }
      }
    });
  });
  $("select.oblik-choice").each(function () {
    var el = $(this);
    el.select2({
      theme: "bootstrap", width: "100%", placeholder: "—",
      allowClear: el.data("allow-clear") === true || el.data("allow-clear") === "true"
    });
  });
});
