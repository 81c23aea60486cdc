console.log("background");
