Console.WriteLine("appliance-agent");
