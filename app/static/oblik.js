// Oblik: related-record pickers that search the server as you type (select2 + /lookup/<name>/),
// in forms and in the search filters that Flask-AppBuilder adds to the page dynamically.
(function ($) {
  "use strict";

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
      ajax: {
        url: el.data("url"),
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; },
        processResults: function (data) { return data; }
      }
    });
  }

  function initChoice(el) {
    if (el.hasClass("select2-hidden-accessible")) { return; }
    el.select2({ theme: "bootstrap", width: "100%", placeholder: "—", allowClear: allowClear(el) });
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
