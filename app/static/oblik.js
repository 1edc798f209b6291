// Oblik: related-record pickers that search the server as you type (select2 + /lookup/<name>/),
// in forms and in the search filters that Flask-AppBuilder adds to the page dynamically.
(function ($) {
  "use strict";

  // The pickers' own words in the interface language (oblik/base.html: #oblik-picker-text, from
  // the translations), for every select2 on the page — Oblik's and Flask-AppBuilder's.
  var pickerText = {};
  try { pickerText = JSON.parse($("#oblik-picker-text").text() || "{}"); } catch (ignored) { pickerText = {}; }
  function said(key, count) {
    return String(pickerText[key] || "").replace("{count}", count === undefined ? "" : count);
  }
  var pickerLanguage = {
    errorLoading: function () { return said("errorLoading"); },
    inputTooLong: function (args) { return said("inputTooLong", args.input.length - args.maximum); },
    inputTooShort: function (args) { return said("inputTooShort", args.minimum - args.input.length); },
    loadingMore: function () { return said("loadingMore"); },
    maximumSelected: function (args) { return said("maximumSelected", args.maximum); },
    noResults: function () { return said("noResults"); },
    searching: function () { return said("searching"); },
    removeAllItems: function () { return said("removeAllItems"); },
    removeItem: function () { return said("removeItem"); },
    search: function () { return said("search"); }
  };
  if (pickerText.searching && $.fn.select2 && $.fn.select2.defaults) {
    $.fn.select2.defaults.set("language", pickerLanguage);
  }

  function allowClear(el) {
    var v = el.data("allow-clear");
    return v === true || v === "true";
  }

  function initAjax(el) {
    if (el.hasClass("select2-hidden-accessible")) { return; }
    var name = el.attr("name") || "";
    var chosen = new URLSearchParams(window.location.search).get(name);
    if (name.indexOf("_flt_") === 0 && chosen && !el.find("option[value='" + chosen + "']").length) {
      // An active filter: fetch the label of the chosen record.
      $.getJSON(el.data("url"), { id: chosen }, function (data) {
        (data.results || []).forEach(function (r) { el.append(new Option(r.text, r.id, true, true)); });
        el.trigger("change");
      });
    }
    el.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: allowClear(el),
      placeholder: el.data("placeholder") || "",
      minimumInputLength: 0,
      language: pickerLanguage,
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; },
        processResults: function (data, params) {
          el.data("oblik-answered", params.term || "");
          if (el.data("oblik-enter")) {  // Enter came before these results: choose from them
            window.setTimeout(function () {
              if (!el.data("oblik-enter")) { return; }
              el.data("oblik-enter", false);
              el.data("select2").trigger("results:select", {});
            }, 0);
          }
          return data;
        }
      }
    });
  }

  // The keyboard: a picker reached by Tab searches what is typed into it at once (select2 alone
  // opens only on Enter, Space or an arrow), and Enter chooses the first (highlighted) result —
  // of the text typed, even if its results come after the Enter.
  var openPicker = null;
  function searchField() { return document.querySelector(".select2-container--open .select2-search__field"); }
  $(document).on("select2:open", "select", function () {
    openPicker = $(this);
    // select2 4.0.13 focuses its search box with jQuery's trigger("focus"), which does nothing
    // under jQuery 3.6 (select2 issue 5993): the native focus, so that typing goes into it.
    var field = searchField();
    if (field) { field.focus(); }
  });
  $(document).on("select2:close", "select", function () {
    if (openPicker && openPicker[0] === this) { openPicker = null; }
  });
  $(document).on("keydown", ".select2-selection--single", function (e) {
    var key = e.originalEvent && e.originalEvent.key;
    if (!key || key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey || key === " ") { return; }
    var el = $(this).closest(".select2-container").prev("select.select2-hidden-accessible");
    if (!el.length || el.prop("disabled") || el.select2("isOpen")) { return; }
    e.preventDefault();
    el.select2("open");
    var field = searchField();
    if (!field) { return; }
    field.focus();
    $(field).val(key).trigger("input");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !openPicker || !$(e.target).is(".select2-search__field")) { return; }
    var el = openPicker;
    if (!el.hasClass("oblik-ajax")) { return; }
    if (el.data("oblik-answered") !== $(e.target).val()) {  // the results of this text are not in yet
      e.preventDefault();
      e.stopPropagation();
      el.data("oblik-enter", true);
    }
  }, true);

  function initChoice(el) {
    if (el.hasClass("select2-hidden-accessible")) { return; }
    el.select2({ theme: "bootstrap", width: "100%", placeholder: "—", allowClear: allowClear(el),
                 language: pickerLanguage });
  }

  function initWithin(root) {
    $(root).find("select.oblik-ajax").addBack("select.oblik-ajax").each(function () { initAjax($(this)); });
    $(root).find("select.oblik-choice").addBack("select.oblik-choice").each(function () { initChoice($(this)); });
  }

  $(function () {
    initWithin(document.body);  // forms, and search filters already applied
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        m.addedNodes.forEach(function (node) { if (node.nodeType === 1) { initWithin(node); } });
      });
    }).observe(document.body, { childList: true, subtree: true });
  });

  // No inline event handlers (the Content-Security-Policy allows none): a select that submits
  // its form when changed, a form or button that asks first.
  $(document).on("change", "select[data-autosubmit]", function () { this.form.submit(); });
  $(document).on("submit", "form[data-confirm]", function (e) {
    if (!window.confirm($(this).data("confirm"))) { e.preventDefault(); }
  });
  $(document).on("click", "button[data-confirm], input[data-confirm]", function (e) {
    if (!window.confirm($(this).data("confirm"))) { e.preventDefault(); }
  });
  // The communication scheme (oblik/scheme.html): a node's children shown or hidden.
  function openNode(li, open) {
    li.toggleClass("oblik-tree-open", open);
    li.children("button[data-tree-toggle]").attr("aria-expanded", open ? "true" : "false").text(open ? "\u25BE" : "\u25B8");
  }
  $(document).on("click", "button[data-tree-toggle]", function () {
    var li = $(this).closest("li");
    openNode(li, !li.hasClass("oblik-tree-open"));
  });
  $(document).on("click", "button[data-tree-all]", function () {
    var open = $(this).data("tree-all") === "open";
    $(".oblik-tree-node").has("> .oblik-tree-children").each(function () { openNode($(this), open); });
  });

  // The progress of background work (data-progress-url: its JSON with status, percent and the
  // fields named by data-progress-field), polled while it runs; the page reloads when it ends.
  $(function () {
    $("[data-progress-url]").each(function () {
      var box = $(this);
      if (box.data("status") !== "running") { return; }
      function poll() {
        $.getJSON(box.data("progress-url")).done(function (job) {
          box.find("[data-progress-bar]").css("width", job.percent + "%").attr("aria-valuenow", job.percent)
            .text(job.percent + "%");
          box.find("[data-progress-field]").each(function () {
            var value = job[$(this).data("progress-field")];
            if (value !== undefined) { $(this).text(value); }
          });
          if (job.status !== "running") { window.location.reload(); } else { setTimeout(poll, 1000); }
        }).fail(function () { setTimeout(poll, 3000); });
      }
      setTimeout(poll, 1000);
    });
  });

  // A card's action with a confirmation (the claim act's card, oblik/widgets/claim_act_show.html):
  // its own form, confirmed in the card's own dialog — one dialog, one handler, one submit.
  var confirmForm = null;
  $(document).on("submit", "form.oblik-act-form", function (e) {
    var button = $(this).find("[data-oblik-confirm]");
    if (!button.length || this === confirmForm) { return; }
    e.preventDefault();
    confirmForm = this;
    $("#claim-act-confirm .oblik-confirm-text").text(button.data("oblik-confirm"));
    $("#claim-act-confirm").modal("show");
  });
  $(document).on("click", "#claim-act-confirm-ok", function () {
    if (!confirmForm) { return; }
    $(this).prop("disabled", true);
    confirmForm.submit();  // the native submit: no submit event again
  });
  $(document).on("hidden.bs.modal", "#claim-act-confirm", function () {
    if (!$("#claim-act-confirm-ok").prop("disabled")) { confirmForm = null; }
  });
  // A card's tabs (oblik/show.html, oblik/account_show.html): the open tab is the URL's hash, so a
  // reload, the browser's Back and a form's return to the card (next=/…/show/5#Tab) open it again.
  function showTabOfHash() {
    var hash = window.location.hash;
    if (!hash || hash.length < 2) { return; }
    $(".oblik-card-tabs a[data-toggle='tab']").filter(function () {
      return $(this).attr("href") === hash;
    }).first().tab("show");
  }
  $(function () {
    if (!$(".oblik-card-tabs").length) { return; }
    showTabOfHash();
    $(document).on("shown.bs.tab", ".oblik-card-tabs a[data-toggle='tab']", function () {
      var url = window.location.pathname + window.location.search + $(this).attr("href");
      window.history.replaceState(null, "", url);
    });
    $(window).on("hashchange", showTabOfHash);
  });
})(jQuery);

// Flask-AppBuilder's scripts alert in English (ab_actions.js: «No row selected»): the dialog
// shows the translation the page carries (app/templates/appbuilder/general/alert.html).
(function ($) {
  "use strict";
  $(function () {
    var original = window.ab_alert;
    if (typeof original !== "function") { return; }
    window.ab_alert = function (text) {
      var texts = { "No row selected": $("#modal-alert").attr("data-no-row-selected") };
      return original(texts[text] || text);
    };
  });
}(window.jQuery));
