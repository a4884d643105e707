// Live preview of the design settings: colour pickers repaint the preview box as they move,
// and the contrast warnings follow. The form works the same without this script.
(function () {
  'use strict';
  var preview = document.getElementById('preview');
  var warnings = document.getElementById('contrast-warnings');
  if (!preview) return;
  var inputs = document.querySelectorAll('input[type=color][data-var]');

  function channel(v) { var s = v / 255; return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); }
  function lum(hex) { var n = parseInt(hex.replace('#', ''), 16); return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255); }
  function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function value(name) { var el = document.querySelector('input[data-var="' + name + '"]'); return el ? el.value : '#000000'; }

  function update() {
    for (var i = 0; i < inputs.length; i++) preview.style.setProperty('--' + inputs[i].getAttribute('data-var'), inputs[i].value);
    if (!warnings) return;
    var pairs = [
      ['Text on the sidebar', value('text'), value('fill')],
      ['Links on the sidebar', value('link'), value('fill')],
      ['Text on the profile card', value('text'), '#ffffff'],
      ['Links on the profile card', value('link'), '#ffffff']
    ];
    var list = warnings.querySelector('ul');
    while (list.firstChild) list.removeChild(list.firstChild);
    for (var j = 0; j < pairs.length; j++) {
      var r = ratio(pairs[j][1], pairs[j][2]);
      if (r < 4.5) {
        var li = document.createElement('li');
        li.textContent = pairs[j][0] + ': contrast ' + (Math.round(r * 100) / 100) + ':1, needs at least 4.5:1.';
        list.appendChild(li);
      }
    }
    warnings.hidden = list.children.length === 0;
  }
  for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener('input', update);
})();
