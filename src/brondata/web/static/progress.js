// Live progress over server-sent events; without JavaScript the page refreshes itself.
"use strict";
(function () {
  var list = document.getElementById("progress");
  if (!list || !window.EventSource) { return; }
  var source = new EventSource(list.getAttribute("data-events"));
  source.addEventListener("state", function (event) {
    var states = JSON.parse(event.data);
    Object.keys(states).forEach(function (id) {
      var item = list.querySelector('[data-source="' + id + '"] .state');
      if (item) {
        item.textContent = states[id].label;
        item.className = "state state-" + states[id].state;
      }
    });
  });
  source.addEventListener("done", function (event) {
    source.close();
    window.location.assign(JSON.parse(event.data).url);
  });
})();
